/**
 * The phone change's activities, one factory per capability, each given only the ports it needs.
 * Every side effect carries a de-duplication id derived from the workflow run and a step key
 * chosen by the workflow, so a retried or replayed activity never sends, publishes or records
 * twice (CH-1). The workflows call these by name: a rename is a change of workflow history.
 */
import { withTypedFailures } from './context';
import type { ActivityDeps } from './ports';
import { createAccountActivities } from './accounts';
import { createCodeSendingActivities } from './code-sending';
import { createNoticeActivities } from './notices';
import { createOperatorActivities } from './operator-checks';
import { createProofActivities } from './proofs';
import { createLinkedServiceActivities } from './linked-services';
import { createRevertActivities } from './revert';
import { createOutgoingActivities, startLinkedSync } from './outgoing';
import { createOperatorSignalActivities } from './operator-signals';
import { createRecyclingActivities } from './recycling';
import { createPasswordActivities } from './passwords';

export type { ActivityDeps, Links } from './ports';
export type { AccountSnapshot, BindPhoneRequest, LoadAccountRequest } from './accounts';
export type { IdentityLinkRequest, SendCodeRequest } from './code-sending';
export type { NoticeRequest, NoticeResult, PublishEventRequest, RecordRequest } from './notices';
export type { VerifyOperatorRequest } from './operator-checks';
export type { AnnounceLinkedRequest } from './linked-services';
export type { Contacts, RevertRequest, RevertResult } from './revert';
export type { Delivered, Outgoing } from './outgoing';
export type { OldSimCheckRequest, OldSimVerdict } from './operator-signals';
export type { BindingOutcome, CheckBindingRequest } from './recycling';

export function createActivities(deps: ActivityDeps) {
  const notices = createNoticeActivities(deps);
  const codeSending = createCodeSendingActivities(deps);
  return withTypedFailures({
    ...createAccountActivities(deps),
    ...codeSending,
    ...notices,
    ...createOperatorActivities(deps),
    ...createLinkedServiceActivities(deps),
    ...createRevertActivities(deps),
    ...createProofActivities(deps),
    startLinkedSync,
    // What goes out together, in one activity (issue 12): the same senders as the activities above.
    ...createOutgoingActivities({ ...notices, ...codeSending, startLinkedSync }),
    ...createOperatorSignalActivities(deps),
    ...createRecyclingActivities(deps),
    ...createPasswordActivities(deps),
  });
}

export type PhoneChangeActivities = ReturnType<typeof createActivities>;
