import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../workers/config';
import { defaultPolicy } from '../../workflows/domain/policy';

const b64 = (n: number) => randomBytes(n).toString('base64');
const payload = `k1:${b64(32)}`;
const prod = { NODE_ENV: 'production', PAYLOAD_KEYS: payload, CODEC_SERVER_TOKENS: 'a-long-production-token' };

describe("the worker's keys and policy (SEC-5, SEC-7), parsed at the edge", () => {
  it('SEC-5: production never uses the development key: no master key and not every purpose key set stops the worker', () => {
    expect(() => loadConfig(prod)).toThrow(/PROOF_MASTER_KEY: required in production/);
    const all = Object.fromEntries(['CODES', 'TOKENS', 'IDENTITY', 'RECOVERY', 'LIMITS', 'PASSWORDS'].map((p) => [`PROOF_KEY_${p}`, b64(32)]));
    expect(loadConfig({ ...prod, ...all }).proofKeysAreDevDefault).toBe(false);
    expect(loadConfig({ ...prod, PROOF_MASTER_KEY: b64(32) }).proofKeysAreDevDefault).toBe(false);
    expect(loadConfig({}).proofKeysAreDevDefault).toBe(true); // development: with a warning from main.ts
  });

  it('SEC-5: keys shorter than 32 bytes, and one key for two purposes, are refused', () => {
    expect(() => loadConfig({ PROOF_MASTER_KEY: b64(31) })).toThrow(/PROOF_MASTER_KEY must decode to at least 32 bytes/);
    expect(() => loadConfig({ PROOF_KEY_CODES: b64(16) })).toThrow(/PROOF_KEY_CODES/);
    const same = b64(32);
    expect(() => loadConfig({ PROOF_KEY_CODES: same, PROOF_KEY_TOKENS: same })).toThrow(/PROOF_KEY_TOKENS: the same key as PROOF_KEY_CODES/);
  });

  it('SEC-4: a payload key id named twice is refused', () => {
    expect(() => loadConfig({ PAYLOAD_KEYS: `k1:${b64(32)},k1:${b64(32)}` })).toThrow(/names the key id k1 twice/);
  });

  it('SEC-7: the policy comes from POLICY within bounds; a day-long code or a caller-sized change is refused', () => {
    expect(loadConfig({}).policy).toEqual(defaultPolicy);
    expect(loadConfig({ POLICY: '{"codeTtlMs":180000,"identityCheck":false}' }).policy).toMatchObject({ codeTtlMs: 180000, identityCheck: false });
    for (const bad of ['{"codeTtlMs":86400000}', '{"changeTtlMs":1e300}', '{"bogus":1}', 'not json', '[]']) {
      expect(() => loadConfig({ POLICY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ POLICY: bad })).toThrow(/POLICY/);
    }
  });
});
