/**
 * One send per de-duplication id for channels that cannot de-duplicate themselves (SMTP, SMPP).
 *
 * A marker is stored after the server accepted the message (never before: a marker for a message
 * the server never got would lose it). Between the two, three things can go wrong:
 * - the marker store (NATS) fails: the outcome is kept in memory, so a retry in this process
 *   skips the send, and the marker is written again in the background until it is stored;
 * - a second attempt starts while the first is still sending (a timed-out activity retried on
 *   this worker): it joins the first instead of sending beside it;
 * - the process dies after the server accepted and before the marker is stored: the retry cannot
 *   know and sends again, so the server gets a second copy with the same Message-ID. That window
 *   (the server's reply plus one NATS round trip) cannot be closed with SMTP or SMPP, which have
 *   no way to ask "did you get this one?"; see README "E-mail exactly once".
 */
import type { SentMarkers } from '../ports';

const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 15_000;

export class SendOnce {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Sent, marker not stored yet (only while the marker store fails: bounded by an outage). */
  private readonly unmarked = new Set<string>();
  private retryTimer?: NodeJS.Timeout;
  private retryDelay = RETRY_FIRST_MS;

  constructor(private readonly markers: SentMarkers) {}

  /** Runs `send` unless a message with this key was sent already (here or by any worker). */
  run(key: string, send: () => Promise<void>): Promise<void> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const attempt = this.once(key, send).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, attempt);
    return attempt;
  }

  /** Tries once more to store what is held in memory; for shutdown. */
  async flush(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const key of [...this.unmarked]) {
      await this.store(key);
      if (this.unmarked.has(key)) break; // the store is down: the rest would fail alike
    }
  }

  private async once(key: string, send: () => Promise<void>): Promise<void> {
    if (this.unmarked.has(key) || (await this.markers.has(key))) return;
    await send();
    this.unmarked.add(key);
    await this.store(key);
  }

  private async store(key: string): Promise<void> {
    try {
      await this.markers.mark(key);
      this.unmarked.delete(key);
      this.retryDelay = RETRY_FIRST_MS;
    } catch {
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
      void this.flush();
    }, this.retryDelay);
    this.retryTimer.unref();
  }
}
