/** The citizen's proofs on their way out: one-time codes (OTP-1, OTP-2) and the identity-check link (SEC-2). */
import { maskPhone } from '../workflows/domain/mask';
import { currentRun, dedupId } from './context';
import { deriveCode, deriveToken, type CodePurpose } from './codes';
import { admitter, numberKey } from './limits';
import type { ActivityDeps, Language } from './ports';
import { renderCodeSms, renderIdentityLinkSms } from './templates';

export interface SendCodeRequest {
  accountId: string;
  requestId: string;
  step: CodePurpose;
  seq: number;
  to: string;
  language: Language;
  ttlMinutes: number;
}

export interface IdentityLinkRequest {
  accountId: string;
  requestId: string;
  seq: number;
  to: string;
  language: Language;
}

export function createCodeSendingActivities(deps: Pick<ActivityDeps, 'sms' | 'history' | 'limiter' | 'limits' | 'keys' | 'links'>) {
  const { sms, history, keys } = deps;
  const admit = admitter(deps.limiter, deps.limits);

  /** OTP-1, OTP-2: sends code number `seq` of a step; nothing of the code leaves the worker otherwise. */
  async function sendCode(req: SendCodeRequest): Promise<void> {
    const { runId } = currentRun();
    const code = deriveCode(keys.codes, runId, req.step, req.seq);
    const key = `code-${req.step}-${req.seq}`;
    await admit('codesPerNumber', numberKey(keys.limits, req.to), dedupId(key));
    const text = renderCodeSms(req.language, req.step, code, req.ttlMinutes);
    await sms.send({ to: req.to, text, accountId: req.accountId, requestId: req.requestId, kind: `code_${req.step}` }, dedupId(key));
    await history.append(
      req.accountId,
      {
        at: new Date().toISOString(),
        kind: 'code_sent',
        requestId: req.requestId,
        channels: ['sms'],
        text: `code ${req.seq} for the ${req.step} number sent to ${maskPhone(req.to)}`,
      },
      dedupId(key),
    );
  }

  /** SEC-2: the single-use identity-check link by SMS. */
  async function sendIdentityLink(req: IdentityLinkRequest): Promise<void> {
    const { runId } = currentRun();
    const token = deriveToken(keys.tokens, 'identity', runId, req.seq);
    const url = `${deps.links.identity}/${req.accountId}/${token}`;
    const key = `identity-link-${req.seq}`;
    await sms.send({ to: req.to, text: renderIdentityLinkSms(req.language, url), accountId: req.accountId, requestId: req.requestId, kind: 'identity_link' }, dedupId(key));
    await history.append(
      req.accountId,
      { at: new Date().toISOString(), kind: 'identity_link', requestId: req.requestId, channels: ['sms'], text: `identity-check link sent to ${maskPhone(req.to)}` },
      dedupId(key),
    );
  }

  return { sendCode, sendIdentityLink };
}
