/**
 * Action credentials from a production identity provider (issue 15, point 3): OAuth 2.0 token
 * exchange (RFC 8693). The console, a confidential client, trades the operator's sign-in token for
 * a short-lived JWT for one action on one change (RFC 9396 authorization details name the account,
 * the request and the action); the provider checks the operator's roles, signs it with the key the
 * worker trusts (OPERATOR_JWT_PUBLIC_KEY) and the worker verifies and spends it (SEC-6). The
 * console never signs a credential itself.
 */
import { OperatorCredentialError } from '../../workflows/domain/errors';
import type { ActionBinding, OperatorIdp } from './sessions';

export interface TokenExchangeSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The credential's audience: the worker's OPERATOR_JWT_AUDIENCE. */
  audience: string;
}

export const ACTION_DETAIL_TYPE = 'phone-change-action';

export class TokenExchangeIdp implements OperatorIdp {
  constructor(
    readonly loginUrl: string,
    private readonly s: TokenExchangeSettings,
  ) {}

  async mintActionCredential(b: ActionBinding): Promise<string> {
    const refused = (why: string) => new OperatorCredentialError(`the identity provider gave no credential for this action (${why})`, { reason: 'exchange_refused' });
    if (!b.subjectToken) throw refused('no sign-in token: sign in again');
    const body = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: b.subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      audience: this.s.audience,
      authorization_details: JSON.stringify([{ type: ACTION_DETAIL_TYPE, account_id: b.accountId, request_id: b.requestId, action: b.action }]),
    });
    const basic = Buffer.from(`${encodeURIComponent(this.s.clientId)}:${encodeURIComponent(this.s.clientSecret)}`).toString('base64');
    const res = await fetch(this.s.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    if (!res) throw refused('unreachable');
    if (!res.ok) throw refused(`HTTP ${res.status}`);
    const json = (await res.json().catch(() => ({}))) as { access_token?: unknown };
    if (typeof json.access_token !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(json.access_token)) throw refused('not a JWT');
    return json.access_token;
  }
}
