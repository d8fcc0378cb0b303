/**
 * SIG-2: numbers the operator gave to another subscriber. A binding is checked against CAMARA
 * Number Recycling with the date it was made; only the operator's "recycled" answer releases it,
 * so a forged feed message or a raw sweep start can cause a check and nothing more. A released
 * binding is marked unconfirmed (`recycledPhone`: nothing goes to that number for this account any
 * more), its owner is told by e-mail and push and guided to a phone change through support, and
 * `phone.change.number_recycled` goes out. The number is then free for its new owner.
 */
import { maskPhone } from '../workflows/domain/mask';
import { OperatorApiError } from '../workflows/domain/errors';
import { dedupId } from './context';
import { updateAccount } from './compare-and-set';
import type { ActivityDeps } from './ports';
import { recycledNumberText } from './templates/account';
import { textToHtml } from './templates/email';

export type RecyclingDeps = Pick<ActivityDeps, 'registry' | 'history' | 'events' | 'mailer' | 'push' | 'operatorSignals'>;

/** `recycled`: released now (or by an earlier try); `kept`: the operator says the holder is the same; `unknown`: no answer or no date to ask with. */
export type BindingOutcome = 'recycled' | 'kept' | 'unbound' | 'unknown';

export interface CheckBindingRequest {
  phone: string;
  /** Where the check came from, for the history: the sweep, the operator's feed, or a change's start. */
  source: 'sweep' | 'feed' | 'start';
}

/** The date the binding was made, as Number Recycling takes it (YYYY-MM-DD); undefined when the registry does not know it. */
function boundOn(account: { phoneBoundAt?: string; lastPhoneChangeAt?: string }): string | undefined {
  const at = account.phoneBoundAt ?? account.lastPhoneChangeAt;
  return at && !Number.isNaN(Date.parse(at)) ? new Date(at).toISOString().slice(0, 10) : undefined;
}

/**
 * Asks the operator about `phone` as bound to `owner`, and releases the binding when it was
 * recycled since. Idempotent: every side effect carries a de-duplication id of this activity.
 */
export async function releaseIfRecycled(deps: RecyclingDeps, phone: string, owner: string, source: CheckBindingRequest['source'], key: string): Promise<BindingOutcome> {
  const signals = deps.operatorSignals;
  const found = await deps.registry.getAccount(owner);
  if (!signals || !found) return 'unknown';
  if (found.value.recycledPhone === phone && found.value.phone === phone) return finishRelease(deps, phone, owner, source, key);
  if (found.value.phone !== phone) return 'kept'; // an index entry in transit (a change is binding); not ours to judge
  const since = boundOn(found.value);
  if (!since) return 'unknown';
  let recycled: boolean;
  try {
    recycled = await signals.api.numberRecycled(phone, since);
  } catch (err) {
    if (err instanceof OperatorApiError) return 'unknown';
    throw err;
  }
  if (!recycled) return 'kept';
  const at = new Date().toISOString();
  await updateAccount(deps.registry, owner, async ({ value }) => {
    if (value.phone !== phone || value.recycledPhone === phone) return { result: undefined };
    return { write: { ...value, phoneConfirmed: false, recycledPhone: phone, recycledAt: at }, result: undefined };
  });
  return finishRelease(deps, phone, owner, source, key);
}

/** After the mark: the index entry goes, then the owner is told; each step repeats safely. */
async function finishRelease(deps: RecyclingDeps, phone: string, owner: string, source: string, key: string): Promise<'recycled'> {
  await deps.registry.releasePhone(phone, owner);
  const account = (await deps.registry.getAccount(owner))?.value;
  const at = account?.recycledAt ?? new Date().toISOString();
  const masked = maskPhone(phone);
  const t = recycledNumberText[account?.language ?? 'ru'](masked);
  const requestId = `recycled-${at.slice(0, 10)}`;
  await deps.history.append(
    owner,
    { at, kind: 'number_recycled', requestId, channels: ['email', 'push'], text: `the operator reports ${masked} recycled to another subscriber (${source}); unbound, codes and notices stop` },
    dedupId(`${key}-history`),
  );
  if (account?.email) await deps.mailer.send({ to: account.email, kind: 'number_recycled', subject: t.subject, text: t.body, html: textToHtml(t.body) }, dedupId(`${key}-mail`));
  await deps.push.send({ accountId: owner, requestId, kind: 'number_recycled', title: t.subject, body: t.push }, dedupId(`${key}-push`));
  await deps.events.publish({ type: 'number_recycled', accountId: owner, requestId, at, phoneMasked: masked, source }, dedupId(`${key}-event`));
  return 'recycled';
}

export function createRecyclingActivities(deps: RecyclingDeps) {
  /** SIG-2: one bound number against Number Recycling (the sweep and the feed). */
  async function checkBinding(req: CheckBindingRequest): Promise<BindingOutcome> {
    const owner = await deps.registry.ownerOf(req.phone);
    if (owner === undefined) return 'unbound';
    return releaseIfRecycled(deps, req.phone, owner, req.source, `recycled-${req.phone.replace(/\D/g, '')}`);
  }

  /** SIG-2: the next batch of bound numbers after `after`, in key order. */
  async function listBindings(req: { after?: string; limit: number }): Promise<string[]> {
    if (!deps.registry.listPhones) return [];
    return (await deps.registry.listPhones(req.after, req.limit)).map((b) => b.phone);
  }

  /** SIG-2: the sweep's pace, from the worker's configuration (no caller sets it). */
  async function sweepSettings(): Promise<{ batchSize: number; pauseMs: number; batchesPerRun: number; enabled: boolean }> {
    const s = deps.operatorSignals;
    return s ? { ...s.sweep, enabled: true } : { batchSize: 50, pauseMs: 1000, batchesPerRun: 20, enabled: false };
  }

  return { checkBinding, listBindings, sweepSettings };
}
