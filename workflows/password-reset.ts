/**
 * REC-1: password reset by e-mail, one workflow per recovery (`password-reset/<account>`). A code
 * goes to the bound e-mail with the same rules as the phone codes (lifetime, resend cooldown,
 * codes per step, wrong entries per code, an attempt reserved before the worker judges). The
 * citizen's code and new password travel together, sealed by the client to the worker's password
 * key: the worker opens them, judges the code, checks the strength rules and stores only an
 * Argon2id hash. History holds the sealed blob and the verdict, nothing that passes the proof or
 * reveals the password. Afterwards the citizen changes the phone as usual (a new `phoneChange`).
 *
 *   validating → awaiting_code → completed
 *        ↘ refused      ↘ failed (codes used up), expired (deadline)
 */
import { allHandlersFinished, condition, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PhoneChangeActivities } from '../activities';
import * as code from './code-step';
import { nonRetryableErrorTypes, RateLimitedError } from './domain/errors';
import { policyProblems, type Policy } from './domain/policy';
import { failureFromActivity, fromInfo, parseOrRefuse, toFailure } from './failures';
import { recoverySchemas, recoveryStatusQuery, resendResetCodeUpdate, resetPasswordUpdate, type RecoveryInput, type RecoveryState, type RecoveryStatus } from './recovery.defs';
import type { CodeVerdict, Step } from './phone-change.defs';
import { asInput } from './checks';

const acts = proxyActivities<PhoneChangeActivities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes },
});
const local = proxyLocalActivities<PhoneChangeActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5, nonRetryableErrorTypes } });

/** A recovery lives at most an hour (or the change lifetime, if shorter). */
const MAX_LIFETIME_MS = 3_600_000;
const MESSAGES_CAP = 100;

export async function passwordReset(raw: RecoveryInput): Promise<RecoveryStatus> {
  const input = asInput(raw);
  let state: RecoveryState = 'validating';
  let failure: RecoveryStatus['failure'];
  let policy: Policy | undefined;
  let messages = 0;
  let judgeLastAttempt = false;
  const s = { ...code.newCodeStep('old'), step: 'reset' as Step };
  const status = (): RecoveryStatus => ({
    accountId: input.accountId,
    requestId: input.requestId,
    kind: 'email_reset',
    state,
    ...(policy ? { codesLeft: code.codesLeft(s, policy), attemptsLeft: code.attemptsLeft(s, policy) } : {}),
    codeExpiresAt: s.expiresAt === undefined ? undefined : new Date(s.expiresAt).toISOString(),
    failure,
  });
  setHandler(recoveryStatusQuery, status);
  /** Hole 14 (history growth): the citizen's side may send at most this many messages. */
  const counted = () => {
    if (messages >= MESSAGES_CAP) throw toFailure(new RateLimitedError('too many messages for this recovery', { scope: 'messagesPerChange' }));
  };
  const sendCode = async () => {
    s.seq += 1;
    s.sentAt = Date.now();
    s.sending = true;
    try {
      await acts.sendResetCode({ accountId: input.accountId, requestId: input.requestId, seq: s.seq, ttlMinutes: Math.ceil(policy!.codeTtlMs / 60_000) });
      code.recordSent(s, Date.now(), policy!);
    } finally {
      s.sending = false;
    }
  };

  setHandler(
    resendResetCodeUpdate,
    async () => {
      messages += 1;
      await sendCode();
      return status();
    },
    {
      validator: (...args: unknown[]) => {
        parseOrRefuse(recoverySchemas.noArgs, args[0], ...args.slice(1));
        counted();
        if (state !== 'awaiting_code') throw fromInfo({ type: 'WrongStateError', message: `the recovery is ${state}; no code can be sent now`, details: { state } });
        const refusal = code.resendRefusal(s, Date.now(), policy!);
        if (refusal) throw toFailure(refusal);
      },
    },
  );
  setHandler(
    resetPasswordUpdate,
    async (req): Promise<CodeVerdict> => {
      messages += 1;
      await condition(() => !s.sending);
      const seq = s.seq;
      let outcome = code.reserveAttempt(s, Date.now(), policy!);
      if (outcome === undefined) {
        // v8 (review): an entry that takes the last attempt is judged before the reset counts as used up.
        if (code.isExhausted(s, policy!)) judgeLastAttempt ||= patched('judged-exhaustion-v8');
        let match: boolean;
        try {
          ({ match } = await code.judged(s, () => acts.setPassword({ accountId: input.accountId, requestId: input.requestId, sealed: req.password, kind: 'email_reset', seq })));
        } catch (err) {
          s.wrong -= 1; // a weak or unsealed password with the right code costs no attempt
          throw fromInfo(failureFromActivity(err));
        }
        outcome = code.settleAttempt(s, seq, match, policy!);
      }
      if (outcome === 'accepted') await condition(() => state !== 'awaiting_code');
      return { outcome, attemptsLeft: code.attemptsLeft(s, policy!), codesLeft: code.codesLeft(s, policy!), state: state as never };
    },
    {
      validator: (req, ...extra: unknown[]) => {
        parseOrRefuse(recoverySchemas.password, req, ...extra);
        counted();
        if (state !== 'awaiting_code') throw fromInfo({ type: 'WrongStateError', message: `the recovery is ${state}; it cannot take a password now`, details: { state } });
      },
    },
  );

  try {
    parseOrRefuse(recoverySchemas.input, input);
    policy = await local.workerPolicy();
    if (policyProblems(policy).length > 0) throw new Error("the worker's policy is out of bounds");
    await local.loadRecoveryAccount({ accountId: input.accountId });
  } catch (err) {
    state = 'refused';
    failure = failureFromActivity(err);
    return status();
  }
  const deadline = workflowInfo().startTime.getTime() + Math.min(MAX_LIFETIME_MS, policy.changeTtlMs);
  const until = async (done: () => boolean) => {
    const left = deadline - Date.now();
    return left > 0 && (await condition(done, left));
  };
  state = 'awaiting_code';
  try {
    await sendCode();
  } catch (err) {
    failure = failureFromActivity(err); // the citizen may ask for another
  }
  if (!(await until(() => s.confirmed || (code.isExhausted(s, policy!) && !(judgeLastAttempt && s.judging > 0))))) {
    state = 'expired';
    return status();
  }
  if (!s.confirmed) {
    state = 'failed';
    failure = { type: 'AttemptsExhausted', message: 'all reset codes were used up' };
    return status();
  }
  state = 'completed';
  failure = undefined;
  await condition(allHandlersFinished);
  return status();
}
