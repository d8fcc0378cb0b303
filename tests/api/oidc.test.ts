/**
 * Issue 15, point 3: the operators' production identity provider over OIDC, against a local
 * stand-in of a provider (JWKS and token endpoint served over HTTP on 127.0.0.1, keys generated
 * here). An ID token posted back with the state and nonce of a sign-in started here is accepted
 * and the provider's groups map to operator roles; a forged, expired, wrong-audience, wrong-issuer,
 * wrong-nonce, replayed or unsolicited one is refused and opens no session. Action credentials come
 * by token exchange (RFC 8693) and pass the worker's own verifier (SEC-6).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { mapRoles, OidcLogin, parseRoleMap } from '../../client/console/oidc';
import { TokenExchangeIdp } from '../../client/console/token-exchange';
import { LoginError, Sessions } from '../../client/console/sessions';
import { consolePlugin } from '../../client/console/routes';
import { JwtOperatorVerifier } from '../../activities/adapters/jwt-operator-verifier';
import type { PhoneChangeClient } from '../../client/phone-change-client';
import { OperatorCredentialError } from '../../workflows/domain/errors';

const ISSUER = 'https://idp.example.test/realms/support';
const CLIENT_ID = 'phone-change-console';
const idpKey = await generateKeyPair('RS256', { extractable: true });
const otherKey = await generateKeyPair('RS256', { extractable: true });
/** The provider signs action credentials with a key the worker trusts (OPERATOR_JWT_PUBLIC_KEY). */
const actionKey = await generateKeyPair('ES256', { extractable: true });
let server: Server;
let base: string;
let oidc: OidcLogin;
const exchanges: URLSearchParams[] = [];

const roleMap = parseRoleMap('support-l2=support:override+support:reject, support-l3=support:recovery,support-l3=support:revert');

async function idToken(o: { nonce?: string; aud?: string; iss?: string; exp?: number; key?: CryptoKey; alg?: string; groups?: unknown; sub?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ nonce: o.nonce, preferred_username: 'petrova', realm_access: { roles: o.groups ?? ['support-l2', 'staff'] } })
    .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: 'k1' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? CLIENT_ID)
    .setSubject(o.sub ?? 'op-17')
    .setIssuedAt(now)
    .setExpirationTime(o.exp ?? now + 300)
    .sign(o.key ?? idpKey.privateKey);
}

/** Starts a sign-in as the console does and returns its state and nonce (from the redirect URL). */
function startSignIn(): { state: string; nonce: string; url: URL } {
  const url = new URL(oidc.authorizationRedirect());
  return { state: url.searchParams.get('state')!, nonce: url.searchParams.get('nonce')!, url };
}

beforeAll(async () => {
  const jwk = { ...(await exportJWK(idpKey.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((req, res) => {
    if (req.url === '/jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      void (async () => {
        const form = new URLSearchParams(body);
        exchanges.push(form);
        const ok = req.headers.authorization === `Basic ${Buffer.from(`${CLIENT_ID}:s3cret`).toString('base64')}`;
        const { payload } = await jwtVerify(form.get('subject_token') ?? '', idpKey.publicKey, { issuer: ISSUER, audience: CLIENT_ID });
        const [detail] = JSON.parse(form.get('authorization_details') ?? '[]') as { account_id: string; request_id: string; action: string }[];
        const roles = mapRoles(payload, 'realm_access.roles', roleMap);
        if (!ok || !detail || !roles.includes(detail.action as never)) return void res.writeHead(403).end('{"error":"access_denied"}');
        const token = await new SignJWT({ roles, action: detail.action, account_id: detail.account_id, request_id: detail.request_id })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(ISSUER)
          .setAudience(form.get('audience')!)
          .setSubject(payload.sub!)
          .setJti(randomUUID())
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(actionKey.privateKey);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, issued_token_type: 'urn:ietf:params:oauth:token-type:jwt', token_type: 'N_A' }));
      })().catch(() => res.writeHead(400).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  oidc = new OidcLogin({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    jwksUrl: `${base}/jwks`,
    authorizationUrl: `${base}/auth`,
    redirectUrl: 'https://support.example.test/console/login',
    rolesClaim: 'realm_access.roles',
    roleMap,
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('issue 15: the operators’ identity provider over OIDC (SEC-6)', () => {
  it('accepts an ID token for a sign-in started here, maps the provider’s groups to roles, and refuses it a second time', async () => {
    const sessions = new Sessions({ verifier: oidc, sessionTtlMs: 60_000 });
    const { state, nonce, url } = startSignIn();
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ response_type: 'id_token', response_mode: 'form_post', client_id: CLIENT_ID, scope: 'openid profile' });
    const token = await idToken({ nonce });
    const s = await sessions.login(token, Date.now(), state);
    expect(s).toMatchObject({ operator: 'op-17', name: 'petrova', roles: ['support:override', 'support:reject'] });
    await expect(sessions.login(token, Date.now(), state)).rejects.toBeInstanceOf(LoginError);
    const l3 = startSignIn();
    expect((await sessions.login(await idToken({ nonce: l3.nonce, groups: ['support-l3'] }), Date.now(), l3.state)).roles).toEqual(['support:revert', 'support:recovery']);
    const none = startSignIn();
    expect((await sessions.login(await idToken({ nonce: none.nonce, groups: 'staff' }), Date.now(), none.state)).roles).toEqual([]);
  });

  it('refuses a forged, expired, wrong-audience, wrong-issuer, wrong-nonce, HS256 or unsolicited token; none opens a session', async () => {
    const sessions = new Sessions({ verifier: oidc, sessionTtlMs: 60_000 });
    const past = Math.floor(Date.now() / 1000) - 120;
    const cases: [string, (nonce: string) => Promise<string>][] = [
      ['forged (another key, same kid)', (nonce) => idToken({ nonce, key: otherKey.privateKey })],
      ['expired', (nonce) => idToken({ nonce, exp: past })],
      ['wrong audience', (nonce) => idToken({ nonce, aud: 'another-client' })],
      ['wrong issuer', (nonce) => idToken({ nonce, iss: 'https://evil.example.test' })],
      ['wrong nonce', () => idToken({ nonce: 'not-the-nonce' })],
      ['no nonce', () => idToken({})],
      ['HS256', (nonce) => idToken({ nonce, alg: 'HS256', key: new TextEncoder().encode('guess-the-secret-32-bytes-long!!') as unknown as CryptoKey })],
    ];
    for (const [what, make] of cases) {
      const { state, nonce } = startSignIn();
      await expect(sessions.login(await make(nonce), Date.now(), state), what).rejects.toBeInstanceOf(LoginError);
    }
    const { nonce } = startSignIn();
    await expect(sessions.login(await idToken({ nonce }), Date.now(), 'made-up-state'), 'unknown state').rejects.toBeInstanceOf(LoginError);
    await expect(sessions.login(await idToken({ nonce }), Date.now()), 'no state').rejects.toBeInstanceOf(LoginError);
    expect(() => parseRoleMap('admins=root')).toThrow(/OIDC_ROLE_MAP/);
  });

  it('through the console: /console/login/oidc redirects to the provider, the form post opens a session; a forged one is a 401 page', async () => {
    const app = Fastify();
    const sessions = new Sessions({ verifier: oidc, sessionTtlMs: 60_000 });
    await app.register(async (c) =>
      consolePlugin({ client: {} as PhoneChangeClient, sessions, idp: { loginUrl: oidc.loginUrl, mintActionCredential: () => Promise.reject(new Error('unused')) }, secureCookies: true })(c),
    );
    await app.register(async (c) => oidc.routes(c));
    const go = await app.inject({ method: 'GET', url: '/console/login/oidc' });
    expect(go.statusCode).toBe(302);
    const url = new URL(go.headers.location as string);
    expect(url.origin + url.pathname).toBe(`${base}/auth`);
    const post = (id_token: string, state: string) =>
      app.inject({ method: 'POST', url: '/console/login', payload: new URLSearchParams({ id_token, state }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const forged = await post(await idToken({ nonce: url.searchParams.get('nonce')!, key: otherKey.privateKey }), url.searchParams.get('state')!);
    expect(forged.statusCode).toBe(401);
    expect(forged.headers['set-cookie']).toBeUndefined();
    const again = new URL((await app.inject({ method: 'GET', url: '/console/login/oidc' })).headers.location as string);
    const ok = await post(await idToken({ nonce: again.searchParams.get('nonce')! }), again.searchParams.get('state')!);
    expect(ok.statusCode).toBe(303);
    expect(String(ok.headers['set-cookie'])).toMatch(/pc_console=.*HttpOnly.*Secure.*SameSite=Strict/);
    await app.close();
  });

  it('action credentials by token exchange (RFC 8693): bound to one account, request and action, accepted by the worker’s verifier; refused for a role the operator lacks', async () => {
    const exchange = new TokenExchangeIdp(oidc.loginUrl, { tokenUrl: `${base}/token`, clientId: CLIENT_ID, clientSecret: 's3cret', audience: 'phone-change' });
    const { nonce } = startSignIn();
    const subjectToken = await idToken({ nonce });
    const binding = { operator: 'op-17', roles: ['support:override' as const], accountId: 'acct-1', requestId: 'REQ0000001', action: 'support:override' as const, subjectToken };
    const credential = await exchange.mintActionCredential(binding);
    expect(exchanges.at(-1)!.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    const spent = new Map<string, string>();
    const verifier = new JwtOperatorVerifier(
      { publicKeyPem: await exportSPKI(actionKey.publicKey), issuer: ISSUER, audience: 'phone-change' },
      { spend: async (id, by) => (spent.get(id) ?? (spent.set(id, by), by)) === by },
    );
    expect(await verifier.verify(credential, { action: 'support:override', accountId: 'acct-1', requestId: 'REQ0000001', spender: 'wf/run/1' })).toMatchObject({ id: 'op-17' });
    await expect(verifier.verify(credential, { action: 'support:override', accountId: 'acct-2', requestId: 'REQ0000001', spender: 'wf/run/2' })).rejects.toBeInstanceOf(OperatorCredentialError);
    await expect(exchange.mintActionCredential({ ...binding, action: 'support:recovery' })).rejects.toBeInstanceOf(OperatorCredentialError);
    await expect(exchange.mintActionCredential({ ...binding, subjectToken: undefined })).rejects.toBeInstanceOf(OperatorCredentialError);
    await expect(
      new TokenExchangeIdp(oidc.loginUrl, { tokenUrl: `${base}/token`, clientId: CLIENT_ID, clientSecret: 'wrong', audience: 'phone-change' }).mintActionCredential(binding),
    ).rejects.toBeInstanceOf(OperatorCredentialError);
  });
});
