/**
 * SIG-1, SIG-2: the mobile operator's CAMARA APIs, built to the latest public releases:
 * SIM Swap v2.1.0 (CAMARA r3.3: `POST {root}/sim-swap/v2/check` with `phoneNumber` and `maxAge`
 * in hours, 1..2400, answering `{ swapped }`; `POST .../retrieve-date` answering
 * `{ latestSimChange, monitoredPeriod? }`) and Number Recycling v0.2.0 (CAMARA r2.2:
 * `POST {root}/number-recycling/v0.2/check` with `phoneNumber` and `specifiedDate` (YYYY-MM-DD),
 * answering `{ phoneNumberRecycled }`). Errors are CAMARA `ErrorInfo` bodies `{ status, code,
 * message }`. Access is a two-legged OAuth2 token (client credentials), so `phoneNumber` is always
 * sent. Every call has a timeout; 5xx, 429 and network failures are retried a bounded number of
 * times, a 401 once after a fresh token; anything else is a typed error at once.
 */
import { randomUUID } from 'node:crypto';
import { OperatorApiError } from '../../../workflows/domain/errors';
import type { OperatorApi } from '../../ports';

export interface CamaraConfig {
  /** The API root, e.g. https://api.operator.example (paths are appended). */
  baseUrl: string;
  /** The token endpoint; `${baseUrl}/oauth2/token` when absent. */
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Per HTTP request. */
  timeoutMs: number;
  /** Tries per call, first included. */
  attempts: number;
  /** Between tries (doubled each time). */
  backoffMs?: number;
}

export const CAMARA_PATHS = {
  token: '/oauth2/token',
  simSwapCheck: '/sim-swap/v2/check',
  simSwapRetrieveDate: '/sim-swap/v2/retrieve-date',
  recyclingCheck: '/number-recycling/v0.2/check',
} as const;

export const CAMARA_SCOPES = ['sim-swap:check', 'sim-swap:retrieve-date', 'number-recycling:check'] as const;

/** Why a try failed, and whether another try may help. */
class Attempt extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class CamaraClient implements OperatorApi {
  private token?: { value: string; until: number };

  constructor(private readonly c: CamaraConfig) {}

  async simSwapped(phoneNumber: string, maxAgeHours: number): Promise<boolean> {
    const maxAge = Math.min(2400, Math.max(1, Math.round(maxAgeHours)));
    const body = await this.call(CAMARA_PATHS.simSwapCheck, { phoneNumber, maxAge });
    if (typeof body.swapped !== 'boolean') throw new OperatorApiError('the SIM Swap answer has no boolean "swapped"', { kind: 'malformed' });
    return body.swapped;
  }

  async latestSimChange(phoneNumber: string): Promise<string | null> {
    const body = await this.call(CAMARA_PATHS.simSwapRetrieveDate, { phoneNumber });
    const v = body.latestSimChange;
    if (v !== null && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) throw new OperatorApiError('the SIM Swap answer has no valid "latestSimChange"', { kind: 'malformed' });
    return v;
  }

  async numberRecycled(phoneNumber: string, specifiedDate: string): Promise<boolean> {
    const body = await this.call(CAMARA_PATHS.recyclingCheck, { phoneNumber, specifiedDate });
    if (typeof body.phoneNumberRecycled !== 'boolean') throw new OperatorApiError('the Number Recycling answer has no boolean "phoneNumberRecycled"', { kind: 'malformed' });
    return body.phoneNumberRecycled;
  }

  private async call(path: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    let last: Attempt | undefined;
    let refreshed = false;
    for (let i = 0; i < this.c.attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.c.backoffMs ?? 200) * 2 ** (i - 1)));
      try {
        return await this.post(path, payload);
      } catch (err) {
        last = err instanceof Attempt ? err : new Attempt(String((err as Error).message ?? err), true);
        if (last.status === 401 && !refreshed) {
          // The token may have been revoked before its expiry: one fresh one, then it is a refusal.
          refreshed = true;
          this.token = undefined;
          i -= 1;
          continue;
        }
        if (!last.retry) break;
      }
    }
    const kind = last?.retry ? 'unavailable' : 'refused';
    throw new OperatorApiError(`operator API ${path}: ${last?.message ?? 'no answer'}`, { kind, status: last?.status, code: last?.code });
  }

  private async post(path: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const token = await this.accessToken();
    const res = await this.fetch(`${this.c.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', 'x-correlator': randomUUID() },
      body: JSON.stringify(payload),
    });
    return this.read(res);
  }

  /** OAuth2 client credentials (RFC 6749 4.4), client authenticated with HTTP Basic; cached until shortly before expiry. */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const basic = Buffer.from(`${encodeURIComponent(this.c.clientId)}:${encodeURIComponent(this.c.clientSecret)}`).toString('base64');
    const res = await this.fetch(this.c.tokenUrl ?? `${this.c.baseUrl}${CAMARA_PATHS.token}`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: CAMARA_SCOPES.join(' ') }).toString(),
    });
    const body = await this.read(res);
    if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw new Attempt('the token endpoint sent no access_token', false, res.status);
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.token = { value: body.access_token, until: Date.now() + Math.max(1, ttl - 30) * 1000 };
    return this.token.value;
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.c.timeoutMs), redirect: 'error' });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new Attempt(timedOut ? `no answer within ${this.c.timeoutMs} ms` : `unreachable (${(err as Error).message})`, true);
    }
  }

  private async read(res: Response): Promise<Record<string, unknown>> {
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    if (res.ok && obj) return obj;
    const code = typeof obj?.code === 'string' ? obj.code.slice(0, 64) : typeof obj?.error === 'string' ? obj.error.slice(0, 64) : undefined;
    const retry = res.status >= 500 || res.status === 429 || (res.ok && !obj);
    throw new Attempt(`HTTP ${res.status}${code ? ` ${code}` : ''}`, retry, res.status, code);
  }
}
