/**
 * SEC-5: every proof is judged here, by the worker, which alone holds the keys. The workflow hands
 * over what the citizen typed (inside the encrypted update payload) and gets back a verdict only;
 * nothing that could pass a proof is ever returned into history. These run as local activities:
 * no side effect, no server round trip.
 */
import { currentRun, dedupId } from './context';
import type { ActivityDeps } from './ports';
import { deriveCode, deriveToken, hashIdentity, hashRecoveryCode, sameSecret, type CodePurpose, type TokenPurpose } from './codes';
import { updateAccount } from './compare-and-set';
import type { Policy } from '../workflows/domain/policy';

export interface VerifyCodeRequest {
  purpose: CodePurpose;
  /** Which code of the step: only the latest one sent counts. */
  seq: number;
  code: string;
}

export interface VerifyTokenRequest {
  purpose: TokenPurpose;
  seq: number;
  token: string;
}

export interface VerifyIdentityRequest {
  accountId: string;
  seq: number;
  token: string;
  fullName: string;
  passport: string;
}

export interface IdentityJudgement {
  /** The link's token is the one sent as link number `seq` of this run. */
  tokenValid: boolean;
  /** The typed data matches the profile (only judged with a valid token). */
  matches: boolean;
}

export interface UseRecoveryCodeRequest {
  accountId: string;
  requestId: string;
  code: string;
}

export function createProofActivities(deps: Pick<ActivityDeps, 'keys' | 'policy' | 'registry' | 'history'>) {
  const { keys, registry, history } = deps;

  /** SEC-7: the policy comes from the worker's configuration, never from a caller. */
  async function workerPolicy(): Promise<Policy> {
    return deps.policy;
  }

  async function verifyCode(req: VerifyCodeRequest): Promise<{ match: boolean }> {
    return { match: sameSecret(req.code, deriveCode(keys.codes, currentRun().runId, req.purpose, req.seq)) };
  }

  async function verifyToken(req: VerifyTokenRequest): Promise<{ match: boolean }> {
    return { match: sameSecret(req.token, deriveToken(keys.tokens, req.purpose, currentRun().runId, req.seq)) };
  }

  /** SEC-2: the token first (a forged link learns nothing of the profile), then the data. */
  async function verifyIdentity(req: VerifyIdentityRequest): Promise<IdentityJudgement> {
    const tokenValid = sameSecret(req.token, deriveToken(keys.tokens, 'identity', currentRun().runId, req.seq));
    if (!tokenValid) return { tokenValid, matches: false };
    const found = await registry.getAccount(req.accountId);
    const expected = found?.value.identityHash;
    const typed = hashIdentity(keys.identity, req.accountId, { fullName: req.fullName, passport: req.passport });
    return { tokenValid, matches: expected !== undefined && sameSecret(typed, expected) };
  }

  /**
   * REC-3: spends one backup recovery code by compare-and-set, so a code works once. The spend is
   * recorded with the change's request id, so a retry after a crash (or a failed history append)
   * recognises its own spend instead of answering "wrong".
   */
  async function useRecoveryCode(req: UseRecoveryCodeRequest): Promise<{ accepted: boolean; left: number }> {
    const hash = hashRecoveryCode(keys.recovery, req.accountId, req.code);
    const outcome = await updateAccount(registry, req.accountId, async ({ value }) => {
      const unused = value.recoveryCodeHashes ?? [];
      const spent = value.recoveryCodesSpent ?? [];
      if (spent.some((s) => s.requestId === req.requestId && sameSecret(s.hash, hash))) return { result: { accepted: true, left: unused.length } };
      if (!unused.some((h) => sameSecret(h, hash))) return { result: { accepted: false, left: unused.length } };
      const rest = unused.filter((h) => h !== hash);
      return { write: { ...value, recoveryCodeHashes: rest, recoveryCodesSpent: [...spent, { hash, requestId: req.requestId }] }, result: { accepted: true, left: rest.length } };
    });
    if (outcome.accepted) {
      await history.append(
        req.accountId,
        { at: new Date().toISOString(), kind: 'recovery_code_used', requestId: req.requestId, channels: [], text: `a backup recovery code replaced the old-number code (${outcome.left} left)` },
        dedupId('recovery-code'),
      );
    }
    return outcome;
  }

  return { workerPolicy, verifyCode, verifyToken, verifyIdentity, useRecoveryCode };
}
