/**
 * Issue 15, pure parts of the HTTP edge: the API's configuration, problem details, and the
 * console's sign-in (a login credential verified, used once, roles from it only).
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { loadApiConfig } from '../../client/api/config';
import { problemFrom } from '../../client/api/problem';
import { LoginError, Sessions } from '../../client/console/sessions';
import { ResendCooldownError, WrongStateError } from '../../workflows/domain/errors';

const keys = await generateKeyPair('ES256', { extractable: true });
const pem = await exportSPKI(keys.publicKey);
const login = (claims: Record<string, unknown> = {}, o: { aud?: string; ttl?: number; key?: CryptoKey } = {}) =>
  new SignJWT({ roles: ['support:override', 'admin'], ...claims })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('op-17')
    .setIssuer('idp')
    .setAudience(o.aud ?? 'phone-change-console')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttl ?? 120))
    .sign(o.key ?? keys.privateKey);

describe('issue 15: the API configuration is parsed once and refuses what is unsafe', () => {
  it('needs the public keys of the services allowed to call, and payload keys in production', () => {
    expect(() => loadApiConfig({})).toThrow(/API_SERVICE_JWT_PUBLIC_KEYS/);
    expect(() => loadApiConfig({ API_SERVICE_JWT_PUBLIC_KEYS: pem, NODE_ENV: 'production' })).toThrow(/PAYLOAD_KEYS: required in production/);
    expect(() => loadApiConfig({ API_SERVICE_JWT_PUBLIC_KEYS: pem, API_SERVICE_JWT_MAX_TTL: '2h' })).toThrow(/API_SERVICE_JWT_MAX_TTL/);
    expect(() => loadApiConfig({ API_SERVICE_JWT_PUBLIC_KEYS: pem, API_BODY_LIMIT: '100000000' })).toThrow(/API_BODY_LIMIT/);
    const c = loadApiConfig({ API_SERVICE_JWT_PUBLIC_KEYS: `${pem}\n${pem}` });
    expect(c).toMatchObject({ port: 8080, bodyLimit: 16_384, serviceAuth: { maxTtlMs: 15 * 60_000 } });
    expect(c.serviceAuth.publicKeyPems).toHaveLength(2);
    expect(JSON.stringify(c)).not.toMatch(/PROOF|proofKeys/);
  });
});

describe('issue 15: the console’s identity provider is configured once (CONSOLE_IDP)', () => {
  it('oidc needs the provider’s issuer, client, JWKS, authorization and token endpoints and our redirect URL; the role map names known roles only', () => {
    const oidc = {
      API_SERVICE_JWT_PUBLIC_KEYS: pem,
      CONSOLE_IDP: 'oidc',
      OIDC_ISSUER: 'https://idp.example.test/realms/support',
      OIDC_CLIENT_ID: 'phone-change-console',
      OIDC_CLIENT_SECRET: 'secret',
      OIDC_JWKS_URL: 'https://idp.example.test/certs',
      OIDC_AUTHORIZATION_URL: 'https://idp.example.test/auth',
      OIDC_TOKEN_URL: 'https://idp.example.test/token',
      OIDC_REDIRECT_URL: 'https://support.example.test/console/login',
      OIDC_ROLES_CLAIM: 'realm_access.roles',
      OIDC_ROLE_MAP: 'support-l2=support:override+support:reject,support-l3=support:recovery',
    };
    expect(() => loadApiConfig({ ...oidc, OIDC_JWKS_URL: undefined })).toThrow(/OIDC_JWKS_URL: required with CONSOLE_IDP=oidc/);
    expect(() => loadApiConfig({ ...oidc, OIDC_ROLE_MAP: 'admins=root' })).toThrow(/OIDC_ROLE_MAP/);
    expect(() => loadApiConfig({ ...oidc, OIDC_TOKEN_URL: 'not a url' })).toThrow(/OIDC_TOKEN_URL/);
    const c = loadApiConfig(oidc).console.oidc!;
    expect(c.login).toMatchObject({ clientId: 'phone-change-console', rolesClaim: 'realm_access.roles' });
    expect(c.login.roleMap?.get('support-l2')).toEqual(['support:override', 'support:reject']);
    expect(c.exchange).toMatchObject({ tokenUrl: 'https://idp.example.test/token', audience: 'phone-change' });
    expect(loadApiConfig({ API_SERVICE_JWT_PUBLIC_KEYS: pem }).console.oidc).toBeUndefined();
  });
});

describe('issue 15: problem details (RFC 9457)', () => {
  it('carry the typed error name, field and retryAfterMs, and nothing of what was sent', () => {
    expect(problemFrom(new ResendCooldownError('wait', { field: 'step', retryAfterMs: 1234.5 }))).toEqual({
      type: 'urn:phone-change:problem:ResendCooldownError',
      title: 'ResendCooldownError',
      status: 429,
      detail: 'wait',
      error: 'ResendCooldownError',
      field: 'step',
      retryAfterMs: 1235,
    });
    expect(problemFrom(new WrongStateError('no', { state: 'completed' }))).toMatchObject({ status: 409, state: 'completed' });
    expect(problemFrom(new Error('secret +79161234567'))).toEqual({
      type: 'urn:phone-change:problem:InternalError',
      title: 'InternalError',
      status: 500,
      detail: 'the request could not be completed',
      error: 'InternalError',
    });
  });
});

describe('issue 15: console sign-in (SEC-6)', () => {
  const sessions = () => new Sessions({ publicKeyPem: pem, issuer: 'idp', audience: 'phone-change-console', sessionTtlMs: 60_000 });

  it('opens a short session with the known roles of the credential, once per credential', async () => {
    const s = sessions();
    const token = await login();
    const session = await s.login(token);
    expect(session).toMatchObject({ operator: 'op-17', roles: ['support:override'] });
    expect(session.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    expect(s.get(session.id)).toBe(session);
    await expect(s.login(token)).rejects.toThrow(LoginError);
    expect(s.get(session.id, Date.now() + 61_000)).toBeUndefined();
  });

  it('refuses a forged, foreign, too long-lived or action credential', async () => {
    const s = sessions();
    const other = await generateKeyPair('ES256');
    await expect(s.login(await login({}, { key: other.privateKey }))).rejects.toThrow(LoginError);
    await expect(s.login(await login({}, { aud: 'phone-change' }))).rejects.toThrow(LoginError);
    await expect(s.login(await login({}, { ttl: 3600 }))).rejects.toThrow(LoginError);
    await expect(s.login('not.a.jwt')).rejects.toThrow(LoginError);
    expect(s.get('made-up-session-id')).toBeUndefined();
  });
});
