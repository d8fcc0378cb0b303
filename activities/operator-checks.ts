/** SEC-6: support actions are taken only on a verified, bound, single-use operator credential. */
import { OperatorCredentialError } from '../workflows/domain/errors';
import type { OperatorRole } from '../workflows/phone-change.defs';
import { dedupId } from './context';
import type { ActivityDeps, VerifiedOperator } from './ports';

export interface VerifyOperatorRequest {
  credential: string;
  role: OperatorRole;
  accountId: string;
  requestId: string;
  /** De-duplication key of the security event recorded on a refusal. */
  key: string;
}

export function createOperatorActivities(deps: Pick<ActivityDeps, 'operators' | 'history' | 'events'>) {
  const { operators, history, events } = deps;

  /**
   * SEC-6: verifies a support action's credential against this account, change and action, and
   * spends it (a retry of this activity is the same spend); a refusal is recorded as a security
   * event (history and `phone.change.security`).
   */
  async function verifyOperator(req: VerifyOperatorRequest): Promise<VerifiedOperator> {
    try {
      return await operators.verify(req.credential, { action: req.role, accountId: req.accountId, requestId: req.requestId, spender: dedupId(req.key) });
    } catch (err) {
      if (!(err instanceof OperatorCredentialError)) throw err;
      const at = new Date().toISOString();
      const reason = String(err.details.reason ?? 'refused');
      await history.append(
        req.accountId,
        { at, kind: 'security_event', requestId: req.requestId, channels: [], text: `support action (${req.role}) refused: ${err.message}`, details: { role: req.role, reason } },
        dedupId(req.key),
      );
      await events.publish({ type: 'security', accountId: req.accountId, requestId: req.requestId, at, role: req.role, reason }, dedupId(`${req.key}-event`));
      throw err;
    }
  }

  return { verifyOperator };
}
