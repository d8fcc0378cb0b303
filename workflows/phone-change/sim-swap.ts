/**
 * SIG-1: before the old-number proof counts, the worker asks the mobile operator whether that
 * number's SIM changed within the configured window. A swap voids the proof: the change is held
 * for support like a lost number (`sim_swap`), and the citizen is told on e-mail and push only (the
 * swapped SIM may be the attacker's). If the operator cannot answer, the worker's rule decides:
 * hold (`sim_swap_unverified`) or go on with the change flagged in the history. Part of the v7
 * release (`m.v7`, README "Changing a workflow"): v6 changes replay as before, and the check costs
 * one local-activity marker, not a patch marker and search-attribute upsert of its own.
 */
import type { OldSimVerdict } from '../../activities';
import { operatorChecks as operator } from '../activity-proxies';
import type { SupportReason } from '../phone-change.defs';
import type { ChangeModel } from './model';

/** The support reason to hold the change for, or undefined to go on to the new number. */
export async function simSwapHold(m: ChangeModel): Promise<SupportReason | undefined> {
  if (!m.v7) return undefined;
  let verdict: OldSimVerdict;
  try {
    verdict = await operator.checkOldSim({ accountId: m.input.accountId, requestId: m.input.requestId, phone: m.snapshot.oldPhone });
  } catch {
    // The check itself failed twice (not the operator: that is answered as `unknown`): hold, the safe side.
    verdict = { outcome: 'unknown', rule: 'hold' };
  }
  if (verdict.outcome === 'swapped') return 'sim_swap';
  if (verdict.outcome === 'unknown' && verdict.rule === 'hold') return 'sim_swap_unverified';
  return undefined;
}
