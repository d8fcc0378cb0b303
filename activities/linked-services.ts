/** AFTER-1: the linked services (SMS subscriptions, bank cards, ...) learn the account's number. */
import { dedupId } from './context';
import type { ActivityDeps } from './ports';

export interface AnnounceLinkedRequest {
  accountId: string;
  requestId: string;
  at: string;
  attempt: number;
  /** Only these services (a reminder to the laggards); all configured ones when absent. */
  only?: string[];
  /** DONE-4: tell the restored number of a reverted change instead. */
  reverted?: boolean;
}

export function createLinkedServiceActivities(deps: Pick<ActivityDeps, 'registry' | 'linked'>) {
  const { registry, linked } = deps;

  /**
   * AFTER-1, DONE-4: tells each linked service the account's number as the registry has it, while
   * `requestId` is the change that set it (or, with `reverted`, the change that was undone);
   * otherwise tells nobody. Returns the services told.
   */
  async function announceToLinkedServices(req: AnnounceLinkedRequest): Promise<string[]> {
    const a = (await registry.getAccount(req.accountId))?.value;
    const wasReverted = a?.revertedRequestId === req.requestId;
    if (!a || (req.reverted ? !wasReverted : a.lastChangeRequestId !== req.requestId || wasReverted)) return [];
    const services = (req.only ?? [...linked.names]).filter((s) => linked.names.includes(s));
    const round = req.reverted ? 'reverted' : String(req.attempt);
    for (const service of services) {
      await linked.notify(
        service,
        { accountId: req.accountId, requestId: req.requestId, newPhone: a.phone, at: req.at, attempt: req.attempt, reverted: req.reverted },
        dedupId(`linked-${service}-${round}`),
      );
    }
    return services;
  }

  return { announceToLinkedServices };
}
