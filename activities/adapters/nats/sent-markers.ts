import type { KV } from '@nats-io/kv';
import type { SentMarkers } from '../../ports';
import { isWrongLastSequence } from './registry';

/** "Already sent" markers in a KV bucket with a TTL longer than any retry. */
export class KvSentMarkers implements SentMarkers {
  constructor(private readonly kv: KV) {}
  async has(key: string): Promise<boolean> {
    const e = await this.kv.get(key);
    return e !== null && e.operation === 'PUT';
  }
  async mark(key: string): Promise<void> {
    try {
      await this.kv.create(key, new Date().toISOString());
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
}
