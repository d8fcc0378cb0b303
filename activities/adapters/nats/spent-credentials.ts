import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { SpentCredentials } from '../../ports';
import { isWrongLastSequence } from './registry';

/**
 * SEC-6: spent operator credential ids in a KV bucket whose TTL outlives any credential. `create`
 * is atomic, so of two workers spending one id exactly one wins; the value names the spender, so
 * a retried activity finds its own spend and is not refused.
 */
export class KvSpentCredentials implements SpentCredentials {
  constructor(private readonly kv: KV) {}
  async spend(id: string, spender: string): Promise<boolean> {
    // A jti is any string; KV keys allow only a few characters.
    const key = createHash('sha256').update(id).digest('hex');
    try {
      await this.kv.create(key, spender);
      return true;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
    return (await this.kv.get(key))?.string() === spender;
  }
}
