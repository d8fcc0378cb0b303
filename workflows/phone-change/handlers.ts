/**
 * The change's messages, one line each. Every one that carries input is an update: its validator
 * parses the input (type, length, range: hole 14) and checks the state before anything enters
 * history, and the caller learns the verdict or the typed refusal. There are no signals: a signal
 * is recorded before any check, so a code or token in it would sit in history unjudged (SEC-5),
 * and a caller could not learn that it was refused. `status` is the only query.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { registry } from '../activity-proxies';
import { ChangeAlreadyOpenError, InvalidTokenError, RateLimitedError, RequestIdConflictError, WrongStateError } from '../domain/errors';
import { parse, schemas } from '../domain/schemas';
import { failureFromActivity, fromInfo, parseOrRefuse, refuseExtraArguments, toFailure } from '../failures';
import * as code from '../code-step';
import {
  cancelUpdate,
  confirmIdentityUpdate,
  rejectUpdate,
  reportOldNumberLostUpdate,
  resendCodeUpdate,
  startUpdate,
  statusQuery,
  stoppableStates,
  submitCodeUpdate,
  submitRecoveryCodeUpdate,
  supportOverrideUpdate,
  terminalStates,
  type ChangeRef,
  type OperatorRef,
  type OperatorRole,
  type StartRequest,
} from '../phone-change.defs';
import type { ChangeModel } from './model';
import * as proof from './proofs';

const stoppable = [...stoppableStates];

export function registerHandlers(m: ChangeModel): void {
  setHandler(statusQuery, () => m.status());
  // PRE-4: the answer comes once the preconditions were checked.
  update(
    startUpdate,
    (req) => checkStart(m, req),
    async () => startAnswer(m),
    undefined,
    { m, pool: 'start' },
  );
  const citizen = { m };
  update(
    submitCodeUpdate,
    (req) => checkEntry(m, () => proof.checkAwaiting(m, req.step)),
    (req) => proof.submitCode(m, req),
    schemas.submitCode,
    citizen,
  );
  update(
    submitRecoveryCodeUpdate,
    () => checkEntry(m, () => proof.checkRecoveryAllowed(m)),
    (req) => proof.submitRecoveryCode(m, req.code),
    schemas.recoveryCode,
    citizen,
  );
  update(
    resendCodeUpdate,
    (req) => checkResend(m, req.step),
    (req) => proof.resend(m, req.step),
    schemas.resend,
    citizen,
  );
  update(
    confirmIdentityUpdate,
    () => checkEntry(m, () => m.checkState(['awaiting_identity'], 'confirm identity')),
    (req) => proof.confirmIdentity(m, req, () => proof.sendIdentityLink(m)),
    schemas.confirmIdentity,
    citizen,
  );
  update(
    reportOldNumberLostUpdate,
    () => m.checkState(['awaiting_identity', 'awaiting_old_number'], 'report the old number lost'),
    async () => {
      m.oldNumberLost = true;
      await condition(() => m.state === 'awaiting_support' || terminalStates.has(m.state));
      return m.ref();
    },
    schemas.noArgs,
    citizen,
  );
  const support = { m, pool: 'support' } as const;
  update(
    supportOverrideUpdate,
    () => m.checkState(['awaiting_support'], 'take a support override'),
    async (req) => {
      const operator = await operatorOf(m, req.credential, 'support:override');
      if (m.override) throw toFailure(new WrongStateError('another operator has just approved this change', { state: m.state }));
      m.override = { operator, method: req.method, evidenceRef: req.evidenceRef, reason: req.reason, at: new Date().toISOString() };
      await condition(() => m.state !== 'awaiting_support');
      return m.ref();
    },
    schemas.override,
    support,
  );
  update(
    rejectUpdate,
    (req) => checkReject(m, req.by),
    async (req) => {
      if (req.by === 'owner') await proof.checkRejectToken(req.token);
      const operator = req.by === 'support' ? await operatorOf(m, req.credential, 'support:reject') : undefined;
      m.stop ??= req.by === 'owner' ? { state: 'rejected', by: 'owner' } : { state: 'rejected', by: 'support', operator, reason: req.reason };
      await condition(() => terminalStates.has(m.state));
      return m.ref();
    },
    schemas.reject,
    { m, pool: (req) => (req.by === 'owner' ? 'citizen' : 'support') },
  );
  update(
    cancelUpdate,
    () => m.checkState(stoppable, 'be cancelled'),
    async (req) => {
      m.stop ??= { state: 'cancelled', reason: req?.reason };
      await condition(() => terminalStates.has(m.state));
      return m.ref();
    },
    schemas.cancel,
  );
}

/** Something the citizen typed: the right state first, then the account's wrong-entry limit. */
function checkEntry(m: ChangeModel, state: () => void): void {
  state();
  proof.checkNotBlocked(m);
}

/**
 * Hole 14: every accepted update adds events to the change's history, and the server terminates a
 * workflow whose history outgrows its limit (51 200 events) and refuses every update after 2 000
 * accepted in a run. What each side may send is therefore bounded per change, far above any
 * honest use: the citizen's messages, starts taken again (a back end's retries of the same
 * request) and support actions (a forged credential is refused only by the activity that checks
 * it, after the update entered history: review). Cancel and status are not, so a flood never
 * locks anyone out of ending the change; a cancel ends it.
 */
export const CITIZEN_MESSAGES_PER_CHANGE = 100;
export const START_MESSAGES_PER_CHANGE = 20;
export const SUPPORT_MESSAGES_PER_CHANGE = 20;

type Pool = keyof ChangeModel['messages'];
const caps: Record<Pool, number> = { citizen: CITIZEN_MESSAGES_PER_CHANGE, start: START_MESSAGES_PER_CHANGE, support: SUPPORT_MESSAGES_PER_CHANGE };

/** The budget an update's messages count against (`pool`, or the pool a message belongs to; the citizen's by default). */
interface Budget<Args extends unknown[]> {
  m: ChangeModel;
  pool?: Pool | ((...args: Args) => Pool);
}

/** An update whose input is parsed by `schema` (when it takes one) before `check` and the handler see it. */
function update<Ret, Args extends unknown[]>(
  def: UpdateDefinition<Ret, Args>,
  check: (...args: NoInfer<Args>) => void,
  handler: (...args: NoInfer<Args>) => Promise<Ret>,
  schema?: Parameters<typeof parse>[0],
  budget?: Budget<NoInfer<Args>>,
): void {
  const poolOf = (...args: Args): Pool | undefined => (budget === undefined ? undefined : typeof budget.pool === 'function' ? budget.pool(...args) : (budget.pool ?? 'citizen'));
  setHandler(
    def,
    (...args: Args) => {
      const pool = poolOf(...args);
      if (pool) budget!.m.messages[pool] += 1;
      return handler(...args);
    },
    {
      validator: (...args: Args) => {
        refuseExtraArguments(args.slice(1));
        if (schema) parseOrRefuse(schema, args[0]);
        check(...args);
        const pool = poolOf(...args);
        if (pool && budget!.m.messages[pool] >= caps[pool]) {
          throw toFailure(new RateLimitedError(`this change has taken ${caps[pool]} messages of this kind; cancel it and start again`, { field: 'request', scope: 'messagesPerChange' }));
        }
      },
    },
  );
}

/** PRE-4: a different request while this one is open is refused with this one's id; the same id with other data is a conflict. */
function checkStart(m: ChangeModel, req: StartRequest): void {
  parseOrRefuse(schemas.start, req);
  if (req.requestId !== m.input.requestId) {
    throw toFailure(new ChangeAlreadyOpenError(`the account has an open change, request ${m.input.requestId}`, { field: 'requestId', openRequestId: m.input.requestId }));
  }
  if (req.newPhone !== m.input.newPhone || req.auth !== m.input.auth) {
    throw toFailure(new RequestIdConflictError('this request id names a change to another number or with another session: use a new request id', { field: 'requestId' }));
  }
}

async function startAnswer(m: ChangeModel): Promise<ChangeRef> {
  await condition(() => m.state !== 'validating');
  if (m.state === 'refused' && m.failure) throw fromInfo(m.failure);
  return m.ref();
}

function checkResend(m: ChangeModel, step: 'old' | 'new'): void {
  proof.checkAwaiting(m, step);
  const refusal = code.resendRefusal(m.codes[step], Date.now(), m.rules);
  if (refusal) throw toFailure(refusal);
}

function checkReject(m: ChangeModel, by: 'owner' | 'support'): void {
  m.checkState(stoppable, 'be rejected');
  if (by === 'owner' && !m.rejectLinkIssued) throw toFailure(new InvalidTokenError('the reject link is not valid for this change', { field: 'token' }));
}

/** SEC-6: the operator a support action's credential proves, bound to this change and action; a refusal is recorded by the activity. */
async function operatorOf(m: ChangeModel, credential: string, role: OperatorRole): Promise<OperatorRef> {
  try {
    const v = await registry.verifyOperator({ credential, role, accountId: m.input.accountId, requestId: m.input.requestId, key: m.nextKey('security') });
    return { id: v.id, name: v.name };
  } catch (err) {
    throw fromInfo(failureFromActivity(err));
  }
}
