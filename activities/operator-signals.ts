/**
 * SIG-1: what the mobile operator knows of the old number, asked before an old-number proof counts.
 * The adapter retries a bounded number of times within its timeouts; if the operator still cannot
 * answer, the worker's rule decides (hold for support, or go on and flag the change in the history
 * and on `phone.change.sim_swap_unchecked`). Nothing here throws for an operator outage, so the
 * change never waits on it.
 */
import { maskPhone } from '../workflows/domain/mask';
import { OperatorApiError } from '../workflows/domain/errors';
import { dedupId } from './context';
import type { ActivityDeps } from './ports';

export interface OldSimCheckRequest {
  accountId: string;
  requestId: string;
  phone: string;
}

/** `off`: no operator API configured; `unknown`: it did not answer, and `rule` says what to do. */
export type OldSimVerdict = { outcome: 'off' | 'clear' | 'swapped' } | { outcome: 'unknown'; rule: 'hold' | 'proceed_and_flag' };

export function createOperatorSignalActivities(deps: Pick<ActivityDeps, 'operatorSignals' | 'history' | 'events'>) {
  const { history, events } = deps;

  async function record(req: OldSimCheckRequest, kind: string, text: string, details: Record<string, string>): Promise<void> {
    const at = new Date().toISOString();
    await history.append(req.accountId, { at, kind, requestId: req.requestId, channels: [], text, details }, dedupId(kind));
    await events.publish({ type: kind, accountId: req.accountId, requestId: req.requestId, at, ...details }, dedupId(`${kind}-event`));
  }

  /** SIG-1: did the old number's SIM change within the configured window (CAMARA SIM Swap `check`)? */
  async function checkOldSim(req: OldSimCheckRequest): Promise<OldSimVerdict> {
    const signals = deps.operatorSignals;
    if (!signals) return { outcome: 'off' };
    const window = String(signals.simSwapMaxAgeHours);
    let swapped: boolean;
    try {
      swapped = await signals.api.simSwapped(req.phone, signals.simSwapMaxAgeHours);
    } catch (err) {
      if (!(err instanceof OperatorApiError)) throw err;
      const reason = String(err.details.kind ?? 'unavailable');
      const rule = signals.whenDown;
      await record(req, 'sim_swap_unchecked', `the operator's SIM Swap API did not answer for ${maskPhone(req.phone)} (${reason}); rule: ${rule}`, { rule, reason });
      return { outcome: 'unknown', rule };
    }
    if (swapped) {
      await record(req, 'sim_swap_detected', `the operator reports a SIM swap of ${maskPhone(req.phone)} within ${window} h: the old-number proof does not count`, { maxAgeHours: window });
    }
    return { outcome: swapped ? 'swapped' : 'clear' };
  }

  return { checkOldSim };
}
