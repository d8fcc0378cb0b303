/**
 * SIG-1, SIG-2: the CAMARA client adapter against the local operator server over real HTTP: the
 * documented paths and fields, OAuth2 client credentials, typed errors, timeouts and bounded retries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamaraClient, CAMARA_PATHS, type CamaraConfig } from '../../activities/adapters/camara/camara-client';
import { OperatorApiError } from '../../workflows/domain/errors';
import { startOperatorServer, type OperatorServer } from '../../temporal-config/operator-server';
import { refusal } from '../support/harness';

let op: OperatorServer;
const creds = { clientId: 'portal', clientSecret: 'operator-secret-for-tests' };
const client = (over: Partial<CamaraConfig> = {}) => new CamaraClient({ baseUrl: op.url, ...creds, timeoutMs: 1000, attempts: 2, backoffMs: 10, ...over });

beforeAll(async () => {
  op = await startOperatorServer(creds);
});
afterAll(async () => op?.close());

describe('CAMARA client and local operator (SIG-1, SIG-2)', () => {
  it('SIG-1: SIM Swap check answers swapped within maxAge hours only; retrieve-date gives the latest change', async () => {
    const c = client();
    op.declareSimSwap('+79161110001', new Date(Date.now() - 10 * 3_600_000));
    expect(await c.simSwapped('+79161110001', 72)).toBe(true);
    expect(await c.simSwapped('+79161110001', 5)).toBe(false);
    expect(await c.simSwapped('+79161110002', 72)).toBe(false);
    expect(Date.parse((await c.latestSimChange('+79161110001'))!)).toBeGreaterThan(Date.now() - 11 * 3_600_000);
    expect(await c.latestSimChange('+79161110002')).toBeNull();
  });

  it('SIG-2: Number Recycling check answers phoneNumberRecycled for a new subscriber after specifiedDate', async () => {
    const c = client();
    op.declareRecycled('+79161110003', new Date('2025-03-01T10:00:00Z'));
    expect(await c.numberRecycled('+79161110003', '2024-01-10')).toBe(true);
    expect(await c.numberRecycled('+79161110003', '2025-03-01')).toBe(false);
    expect(await c.numberRecycled('+79161110004', '2024-01-10')).toBe(false);
  });

  it('SIG-1: the server follows the definitions: no token 401 UNAUTHENTICATED, bad fields 400, missing phone 422 MISSING_IDENTIFIER', async () => {
    const post = (path: string, body: unknown, auth?: string) =>
      fetch(`${op.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) }).then(
        async (r) => [r.status, (await r.json()) as { code?: string }] as const,
      );
    expect(await post(CAMARA_PATHS.simSwapCheck, { phoneNumber: '+79161110001', maxAge: 72 })).toEqual([401, expect.objectContaining({ code: 'UNAUTHENTICATED' })]);
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret });
    const tok = (await (await fetch(`${op.url}${CAMARA_PATHS.token}`, { method: 'POST', body: form })).json()) as { access_token: string; token_type: string };
    expect(tok.token_type).toBe('Bearer');
    const auth = `Bearer ${tok.access_token}`;
    expect((await post(CAMARA_PATHS.simSwapCheck, { phoneNumber: '+79161110001', maxAge: 2401 }, auth))[1].code).toBe('OUT_OF_RANGE');
    expect((await post(CAMARA_PATHS.simSwapCheck, { phoneNumber: '89161110001' }, auth))[1].code).toBe('INVALID_ARGUMENT');
    expect((await post(CAMARA_PATHS.simSwapCheck, { maxAge: 10 }, auth))[1].code).toBe('MISSING_IDENTIFIER');
    expect((await post(CAMARA_PATHS.recyclingCheck, { phoneNumber: '+79161110001', specifiedDate: '31.10.2024' }, auth))[1].code).toBe('INVALID_ARGUMENT');
    expect((await post(CAMARA_PATHS.recyclingCheck, { phoneNumber: '+79161110001', specifiedDate: '2999-01-01' }, auth))[1].code).toBe('OUT_OF_RANGE');
  });

  it('SIG-1: a wrong client secret is a typed refusal, not retried', async () => {
    const before = op.calls.get(CAMARA_PATHS.simSwapCheck) ?? 0;
    const err = await refusal(client({ clientSecret: 'wrong' }).simSwapped('+79161110001', 72));
    expect(err).toBeInstanceOf(OperatorApiError);
    expect((err as OperatorApiError).details).toMatchObject({ kind: 'refused', status: 401 });
    expect(op.calls.get(CAMARA_PATHS.simSwapCheck) ?? 0).toBe(before);
  });

  it('SIG-1: operator down or slow: a typed "unavailable" after a bounded number of tries, within the timeouts', async () => {
    const c = client();
    op.setMode({ kind: 'down' });
    const before = op.calls.get(CAMARA_PATHS.simSwapCheck) ?? 0;
    const down = await refusal(c.simSwapped('+79161110001', 72));
    expect((down as OperatorApiError).details).toMatchObject({ kind: 'unavailable', status: 503, code: 'UNAVAILABLE' });
    expect((op.calls.get(CAMARA_PATHS.simSwapCheck) ?? 0) - before).toBe(2);
    op.setMode({ kind: 'slow', delayMs: 5000 });
    const started = Date.now();
    const slow = await refusal(client({ timeoutMs: 300 }).numberRecycled('+79161110001', '2024-01-01'));
    expect((slow as OperatorApiError).details).toMatchObject({ kind: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(4000);
    op.setMode({ kind: 'up' });
    expect(await c.simSwapped('+79161110002', 72)).toBe(false);
  });

  it('SIG-2: nothing answers at all (connection refused): typed "unavailable"', async () => {
    const err = await refusal(client({ baseUrl: 'http://127.0.0.1:9' }).numberRecycled('+79161110001', '2024-01-01'));
    expect((err as OperatorApiError).details).toMatchObject({ kind: 'unavailable' });
  });
});
