import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { buildDevProgram } from '../../temporal-config/dev-cli';
import { ConfigError, loadConfig } from '../../workers/config';
import { DEV_OPERATOR_ISSUER, ensureDevOperatorKeys } from '../../temporal-config/dev-operator-keys';
import { JwtOperatorVerifier, NoOperatorVerifier } from '../../activities/adapters/jwt-operator-verifier';
import type { OperatorBinding, SpentCredentials } from '../../activities/ports';
import { OperatorCredentialError } from '../../workflows/domain/errors';

/** Spent ids in a map (the NATS KV store is tested against a real server in tests/integration). */
function spentInMemory(): SpentCredentials & { ids: Map<string, string> } {
  const ids = new Map<string, string>();
  return {
    ids,
    async spend(id, spender) {
      if (!ids.has(id)) ids.set(id, spender);
      return ids.get(id) === spender;
    },
  };
}

const BINDING: OperatorBinding = { action: 'support:override', accountId: 'acct-1', requestId: 'REQ2345678', spender: 'phone-change/acct-1/run-1/security-1' };
type Claims = Record<string, unknown>;
const now = () => Math.floor(Date.now() / 1000);
const bound = (over: Claims = {}): Claims => ({
  sub: 'op-17',
  name: 'Петрова',
  roles: ['support:override'],
  action: 'support:override',
  account_id: 'acct-1',
  request_id: 'REQ2345678',
  jti: 'jti-1',
  iat: now(),
  exp: now() + 300,
  ...over,
});

async function provider(alg: 'ES256' | 'RS256' = 'ES256') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const spent = spentInMemory();
  const verifier = new JwtOperatorVerifier({ publicKeyPem: await exportSPKI(publicKey), issuer: 'idp', audience: 'phone-change' }, spent);
  const token = (claims: Claims) => new SignJWT(claims).setProtectedHeader({ alg }).setIssuer('idp').setAudience('phone-change').sign(privateKey);
  return { verifier, token, spent };
}

const reasonOf = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e: unknown) => (e instanceof OperatorCredentialError ? e.details.reason : e),
  );

describe('operator credentials, pure (SEC-6)', () => {
  it.each(['ES256', 'RS256'] as const)('SEC-6: verifies a bound %s credential and spends its jti', async (alg) => {
    const { verifier, token, spent } = await provider(alg);
    expect(await verifier.verify(await token(bound()), BINDING)).toEqual({ id: 'op-17', name: 'Петрова', roles: ['support:override'] });
    expect(spent.ids.get('jti-1')).toBe(BINDING.spender);
  });

  it.each([
    ['for another account', bound({ account_id: 'acct-2' }), 'wrong_account'],
    ['for another change', bound({ request_id: 'REQ9999999' }), 'wrong_request'],
    ['for another action', bound({ action: 'support:reject', roles: ['support:reject', 'support:override'] }), 'wrong_action'],
    ['whose roles lack the action', bound({ roles: ['support:reject'] }), 'missing_role'],
  ])('SEC-6: a genuine credential %s is refused, and spent all the same (it is in a history now)', async (_name, claims, reason) => {
    const { verifier, token, spent } = await provider();
    const credential = await token(claims);
    expect(await reasonOf(verifier.verify(credential, BINDING))).toBe(reason);
    expect(await reasonOf(verifier.verify(credential, BINDING))).toBe(reason); // a retry: the same refusal
    expect(spent.ids.get('jti-1')).toBe(BINDING.spender);
  });

  it.each([
    ['without exp', bound({ exp: undefined }), 'malformed'],
    ['without iat', bound({ iat: undefined }), 'malformed'],
    ['without jti', bound({ jti: undefined }), 'malformed'],
    ['without account_id', bound({ account_id: undefined }), 'malformed'],
    ['without request_id', bound({ request_id: undefined }), 'malformed'],
    ['without action', bound({ action: undefined }), 'malformed'],
    ['without sub', bound({ sub: undefined }), 'malformed'],
    ['living longer than the maximum (11 min)', bound({ exp: now() + 660 }), 'too_long_lived'],
    ['issued in the future', bound({ iat: now() + 3600, exp: now() + 3900 }), 'too_long_lived'],
    ['expired', bound({ iat: now() - 400, exp: now() - 100 }), 'expired'],
  ])('SEC-6: a credential %s is refused (and, never usable, not recorded as spent)', async (_name, claims, reason) => {
    const { verifier, token, spent } = await provider();
    expect(await reasonOf(verifier.verify(await token(claims), BINDING))).toBe(reason);
    expect(spent.ids.size).toBe(0);
  });

  it("SEC-6: a forged credential spends nothing (its jti is anyone's choice)", async () => {
    const { verifier, spent } = await provider();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(bound()).setProtectedHeader({ alg: 'ES256' }).setIssuer('idp').setAudience('phone-change').sign(privateKey);
    expect(await reasonOf(verifier.verify(forged, BINDING))).toBe('forged');
    expect(spent.ids.size).toBe(0);
  });

  it('SEC-6: a credential is spent once; a retried verify of the same spend is accepted', async () => {
    const { verifier, token } = await provider();
    const credential = await token(bound());
    expect(await reasonOf(verifier.verify(credential, BINDING))).toBe('accepted');
    expect(await reasonOf(verifier.verify(credential, BINDING))).toBe('accepted'); // the same activity, retried
    expect(await reasonOf(verifier.verify(credential, { ...BINDING, spender: 'phone-change/acct-1/run-1/security-2' }))).toBe('replayed');
  });

  it('SEC-6: the maximum lifetime is configurable', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const verifier = new JwtOperatorVerifier({ publicKeyPem: await exportSPKI(publicKey), issuer: 'idp', audience: 'phone-change', maxTtlMs: 60_000 }, spentInMemory());
    const credential = await new SignJWT(bound({ exp: now() + 120 })).setProtectedHeader({ alg: 'ES256' }).setIssuer('idp').setAudience('phone-change').sign(privateKey);
    expect(await reasonOf(verifier.verify(credential, BINDING))).toBe('too_long_lived');
  });

  it('SEC-6 SEC-7: OPERATOR_JWT_MAX_TTL defaults to 10 min and is bounded (1 h at most)', () => {
    expect(loadConfig({}).operators.maxTtlMs).toBe(600_000);
    expect(loadConfig({ OPERATOR_JWT_MAX_TTL: '5m' }).operators.maxTtlMs).toBe(300_000);
    for (const bad of ['2h', '0s', 'ten minutes']) expect(() => loadConfig({ OPERATOR_JWT_MAX_TTL: bad })).toThrow(ConfigError);
  });

  it('refuses everything, with a reason, when no key is configured', async () => {
    const err = await new NoOperatorVerifier().verify().catch((e: unknown) => e);
    expect((err as OperatorCredentialError).details.reason).toBe('not_configured');
  });
});

describe('operator credentials in the CLI (SEC-6)', () => {
  /** The CLI with its output captured and a session factory that must not be reached. */
  function cli() {
    const out: string[] = [];
    const errors: string[] = [];
    let sessions = 0;
    const program = buildDevProgram(
      async () => (sessions++, Promise.reject(new Error('no session in this test'))),
      (line) => out.push(line),
    );
    for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)]) {
      c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => undefined });
    }
    const run = (...args: string[]) =>
      program.parseAsync(args, { from: 'user' }).then(
        () => undefined,
        (e: unknown) => e,
      );
    return { run, out, errors, sessions: () => sessions };
  }

  const dirs: string[] = [];
  const keyDir = () => (dirs.push(mkdtempSync(join(tmpdir(), 'operator-keys-'))), dirs.at(-1)!);
  afterEach(() => {
    vi.unstubAllEnvs();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('SEC-6: a support action without a credential says how to mint one for this change and action, and reaches nothing', async () => {
    vi.stubEnv('OPERATOR_TOKEN', '');
    const c = cli();
    const err = await c.run('support', 'revert', '--account', 'demo-john', '--request-id', 'R8Y6P6TB2Y', '--reason', 'fraud');
    expect(err).toBeInstanceOf(CommanderError);
    expect(c.errors.join('')).toContain('dev operator-token --operator <your id> --account demo-john --request-id R8Y6P6TB2Y --action support:revert');
    expect(c.sessions()).toBe(0);
  });

  it('SEC-6: dev operator-token mints a credential the worker accepts for that one action only', async () => {
    const dataDir = keyDir();
    const publicKeyPem = readFileSync(await ensureDevOperatorKeys(dataDir), 'utf8');
    vi.stubEnv('DATA_DIR', dataDir);
    const c = cli();
    expect(await c.run('dev', 'operator-token', '--operator', 'op-17', '--name', 'Петрова', '--account', 'acct-1', '--request-id', 'REQ2345678', '--action', 'support:override')).toBeUndefined();
    const verifier = new JwtOperatorVerifier({ publicKeyPem, issuer: DEV_OPERATOR_ISSUER, audience: 'phone-change' }, spentInMemory());
    expect(await reasonOf(verifier.verify(c.out[0]!, { ...BINDING, action: 'support:reject' }))).toBe('wrong_action');
    expect(await verifier.verify(c.out[0]!, BINDING)).toEqual({ id: 'op-17', name: 'Петрова', roles: ['support:override'] });
    expect(await reasonOf(verifier.verify(c.out[0]!, { ...BINDING, spender: 'another-run' }))).toBe('replayed');
  });

  it('SEC-6: dev operator-token never signs in production', async () => {
    const dataDir = keyDir();
    await ensureDevOperatorKeys(dataDir);
    vi.stubEnv('DATA_DIR', dataDir);
    vi.stubEnv('NODE_ENV', 'production');
    const c = cli();
    const err = await c.run('dev', 'operator-token', '--operator', 'op-17', '--account', 'acct-1', '--request-id', 'REQ2345678', '--action', 'support:override');
    expect((err as Error).message).toMatch(/identity provider/);
    expect(c.out).toEqual([]);
  });
});
