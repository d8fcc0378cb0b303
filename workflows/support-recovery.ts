/**
 * REC-2: access recovery without e-mail (`support-recovery/<account>`). Support checks documents
 * (a LOST-2 method and its evidence) and enables login by hand with a credential bound to this
 * account, recovery and action (`support:recovery`, SEC-6); the worker then makes a temporary
 * password, sends it by SMS to the citizen's new number and stores only its Argon2id hash, which
 * expires and must be replaced at first login: the citizen's new password arrives sealed together
 * with the temporary one, which the worker checks. Everything goes into the account history.
 *
 *   validating → awaiting_support → awaiting_first_login → completed
 *        ↘ refused                          ↘ expired (the temporary password's lifetime)
 */
import { allHandlersFinished, condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { PhoneChangeActivities } from '../activities';
import { nonRetryableErrorTypes, RateLimitedError, WrongStateError } from './domain/errors';
import { failureFromActivity, fromInfo, parseOrRefuse, toFailure } from './failures';
import { enableLoginUpdate, recoverySchemas, recoveryStatusQuery, setPasswordUpdate, type RecoveryInput, type RecoveryState, type RecoveryStatus } from './recovery.defs';
import type { OperatorRef } from './phone-change.defs';
import { asInput } from './checks';

const acts = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes },
});
const local = proxyLocalActivities<PhoneChangeActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5, nonRetryableErrorTypes } });

/** How long support has to act on a recovery request. */
const SUPPORT_WAIT_MS = 7 * 24 * 3_600_000;
const MESSAGES_CAP = 100;

export async function supportRecovery(raw: RecoveryInput): Promise<RecoveryStatus> {
  const input = asInput(raw);
  let state: RecoveryState = 'validating';
  let failure: RecoveryStatus['failure'];
  let operator: OperatorRef | undefined;
  let temporaryExpiresAt: string | undefined;
  let enabling = false;
  let changed = false;
  let wrong = 0;
  let messages = 0;
  const status = (): RecoveryStatus => ({ accountId: input.accountId, requestId: input.requestId, kind: 'support', state, operator, temporaryExpiresAt, failure });
  setHandler(recoveryStatusQuery, status);
  const wrongState = (action: string) => toFailure(new WrongStateError(`the recovery is ${state}; it cannot ${action} now`, { state }));

  setHandler(
    enableLoginUpdate,
    async (req) => {
      enabling = true;
      try {
        const op = await acts.verifyOperator({ credential: req.credential, role: 'support:recovery', accountId: input.accountId, requestId: input.requestId, key: `security-recovery-${Date.now()}` });
        ({ expiresAt: temporaryExpiresAt } = await acts.issueTemporaryPassword({
          accountId: input.accountId,
          requestId: input.requestId,
          newPhone: req.newPhone,
          operator: op.name ? `${op.id} (${op.name})` : op.id,
          method: req.method,
          evidenceRef: req.evidenceRef,
          reason: req.reason,
        }));
        operator = { id: op.id, name: op.name };
      } catch (err) {
        throw fromInfo(failureFromActivity(err));
      } finally {
        enabling = false;
      }
      await condition(() => state !== 'awaiting_support');
      return status();
    },
    {
      validator: (req, ...extra: unknown[]) => {
        parseOrRefuse(recoverySchemas.enableLogin, req, ...extra);
        if (state !== 'awaiting_support' || enabling || operator) throw wrongState('enable login');
      },
    },
  );
  setHandler(
    setPasswordUpdate,
    async (req) => {
      messages += 1;
      wrong += 1; // reserved: concurrent guesses cannot exceed the limit
      let match: boolean;
      try {
        ({ match } = await acts.setPassword({ accountId: input.accountId, requestId: input.requestId, sealed: req.password, kind: 'first_login' }));
      } catch (err) {
        wrong -= 1;
        throw fromInfo(failureFromActivity(err));
      }
      if (!match) throw fromInfo({ type: 'InvalidTokenError', message: 'the temporary password is wrong or expired', details: { field: 'password', attemptsLeft: Math.max(0, 5 - wrong) } });
      wrong -= 1;
      changed = true;
      await condition(() => state === 'completed');
      return status();
    },
    {
      validator: (req, ...extra: unknown[]) => {
        parseOrRefuse(recoverySchemas.password, req, ...extra);
        if (messages >= MESSAGES_CAP || wrong >= 5) throw toFailure(new RateLimitedError('too many attempts for this recovery: ask support again', { scope: 'messagesPerChange' }));
        if (state !== 'awaiting_first_login' || changed) throw wrongState('take a new password');
      },
    },
  );

  try {
    parseOrRefuse(recoverySchemas.input, input);
    await local.workerPolicy();
  } catch (err) {
    state = 'refused';
    failure = failureFromActivity(err);
    return status();
  }
  state = 'awaiting_support';
  if (!(await condition(() => operator !== undefined, SUPPORT_WAIT_MS))) {
    state = 'expired';
    return status();
  }
  state = 'awaiting_first_login';
  const left = Date.parse(temporaryExpiresAt!) - Date.now();
  if (!(await condition(() => changed, Math.max(1, left)))) {
    state = 'expired';
    failure = { type: 'TemporaryPasswordExpired', message: 'the temporary password expired before the first login' };
    await condition(allHandlersFinished);
    return status();
  }
  state = 'completed';
  await condition(allHandlersFinished);
  return status();
}
