/**
 * Issue 12, AFTER-1: linked services' acknowledgements of one sync, gathered for a short window and
 * sent as one `linkedAck` signal, so the five acks of a change wake its sync for one workflow task
 * instead of up to five. Each `add` resolves only once the signal carrying its service succeeded
 * (the bridge acknowledges the JetStream message then; a failure rejects every message of the
 * batch, which JetStream delivers again: acknowledging a service twice is harmless).
 *
 * Memory is bounded: at most `maxPerSync` services per batch (a full batch goes at once) and at
 * most `maxSyncs` batches held (the oldest goes at once to make room), whatever the rate of acks.
 */

/** LINKED_ACK_BATCH_MS's default: the five acks of a change published together arrive within it, even on a loaded machine. */
export const DEFAULT_LINKED_ACK_BATCH_MS = 100;

/** The sync an acknowledgement is for (`linkedSyncWorkflowId` of the two). */
export interface SyncRef {
  accountId: string;
  requestId: string;
}

export interface AckBatcherOptions {
  /** How long the first ack of a sync waits for others (ms, > 0). */
  windowMs: number;
  maxPerSync: number;
  maxSyncs: number;
  /** Sends one signal naming `services` to the sync; rejects when it was not delivered. */
  send(ref: SyncRef, services: string[]): Promise<void>;
}

interface Batch {
  ref: SyncRef;
  services: Set<string>;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  timer: NodeJS.Timeout;
}

export class AckBatcher {
  private readonly held = new Map<string, Batch>();

  constructor(private readonly o: AckBatcherOptions) {
    if (!(o.windowMs > 0) || o.maxPerSync < 1 || o.maxSyncs < 1) throw new RangeError('AckBatcher: windowMs, maxPerSync and maxSyncs must be positive');
  }

  /** Batches `service` for `ref`; resolves when a signal carrying it succeeded. */
  add(ref: SyncRef, service: string): Promise<void> {
    const key = JSON.stringify([ref.accountId, ref.requestId]);
    let batch = this.held.get(key);
    if (!batch) {
      if (this.held.size >= this.o.maxSyncs) this.flush(this.held.keys().next().value!);
      batch = { ref, services: new Set(), waiters: [], timer: setTimeout(() => this.flush(key), this.o.windowMs) };
      this.held.set(key, batch);
    }
    batch.services.add(service);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.services.size >= this.o.maxPerSync) this.flush(key);
    return done;
  }

  /** Batches held right now (for tests and the bound). */
  get size(): number {
    return this.held.size;
  }

  /** Sends every held batch now (the bridge stopping). */
  flushAll(): void {
    for (const key of [...this.held.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const batch = this.held.get(key);
    if (!batch) return;
    this.held.delete(key);
    clearTimeout(batch.timer);
    // A send that throws at once rejects the batch like one that fails later.
    Promise.resolve()
      .then(() => this.o.send(batch.ref, [...batch.services]))
      .then(
        () => batch.waiters.forEach((w) => w.resolve()),
        (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
      );
  }
}
