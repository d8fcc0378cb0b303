/** Issue 12: TEMPORAL_HISTORY_CACHE_SIZE, the dev server's cache of changes, read once at the edge. */
import { describe, expect, it } from 'vitest';
import { HISTORY_CACHE, historyCacheSize } from '../../temporal-config/stack';
import { ConfigError } from '../../activities/config-error';

describe('TEMPORAL_HISTORY_CACHE_SIZE (issue 12)', () => {
  it('defaults to 500 and takes whole numbers within 100..1 000 000', () => {
    expect(historyCacheSize({})).toBe(HISTORY_CACHE.default);
    expect(HISTORY_CACHE.default).toBe(500);
    expect(historyCacheSize({ TEMPORAL_HISTORY_CACHE_SIZE: '100' })).toBe(100);
    expect(historyCacheSize({ TEMPORAL_HISTORY_CACHE_SIZE: '1000000' })).toBe(1_000_000);
  });

  it.each(['', '99', '0', '-500', '1000001', '1e3', '500.5', ' 500', 'NaN', 'Infinity', '9'.repeat(20)])('refuses %j with a ConfigError naming the variable, not echoing the value', (raw) => {
    let err: unknown;
    try {
      historyCacheSize({ TEMPORAL_HISTORY_CACHE_SIZE: raw });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('TEMPORAL_HISTORY_CACHE_SIZE');
    expect((err as Error).message.length).toBeLessThan(300);
  });
});
