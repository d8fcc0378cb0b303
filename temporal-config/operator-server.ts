/**
 * A local mobile operator for development and tests (SIG-1, SIG-2): the CAMARA endpoints the
 * worker calls, with the fields, validation and error codes of the published definitions (SIM Swap
 * v2.1.0, Number Recycling v0.2.0; see activities/adapters/camara/camara-client.ts), behind an
 * OAuth2 client-credentials token endpoint. Tests and the CLI declare what the operator knows
 * (SIM swaps, recycled numbers) and how it behaves (up, down, slow) through `/_dev/...` routes or
 * the returned object. Loopback only; not a production component.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CAMARA_PATHS } from '../activities/adapters/camara/camara-client';

const E164 = /^\+[1-9][0-9]{4,14}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_BODY = 16 * 1024;
const TOKEN_TTL_S = 3600;

export type OperatorMode = { kind: 'up' } | { kind: 'down' } | { kind: 'slow'; delayMs: number };

export interface OperatorServer {
  url: string;
  /** SIG-1: the SIM of `phone` changed at `at` (now when absent). */
  declareSimSwap(phone: string, at?: Date): void;
  /** SIG-2: `phone` went to a new subscriber at `at` (now when absent). */
  declareRecycled(phone: string, at?: Date): void;
  setMode(mode: OperatorMode): void;
  /** How many API calls (token requests excluded) each path received. */
  calls: Map<string, number>;
  /** Numbers asked about on the Number Recycling check, in order. */
  recyclingAsked: string[];
  close(): Promise<void>;
}

export interface OperatorServerOptions {
  port?: number;
  clientId: string;
  clientSecret: string;
}

type Problem = { status: number; code: string; message: string } & Record<string, unknown>;

const problem = (status: number, code: string, message: string): Problem => ({ status, code, message });

export async function startOperatorServer(opts: OperatorServerOptions): Promise<OperatorServer> {
  const swaps = new Map<string, number[]>();
  const recycled = new Map<string, number[]>();
  const tokens = new Map<string, number>();
  const calls = new Map<string, number>();
  const recyclingAsked: string[] = [];
  let mode: OperatorMode = { kind: 'up' };
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
  const add = (m: Map<string, number[]>, phone: string, at: Date) => m.set(phone, [...(m.get(phone) ?? []), at.getTime()]);

  function authorised(req: IncomingMessage): boolean {
    const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(req.headers.authorization ?? '');
    const until = m ? tokens.get(m[1]!) : undefined;
    return until !== undefined && until > Date.now();
  }

  /** The client authenticates with HTTP Basic or with client_id/client_secret in the form (RFC 6749 2.3.1). */
  function tokenResponse(req: IncomingMessage, form: URLSearchParams): [number, Record<string, unknown>] {
    if (form.get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [u = '', p = ''] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u);
      secret = decodeURIComponent(p);
    }
    if (!sameSecret(id, opts.clientId) || !sameSecret(secret, opts.clientSecret)) return [401, { error: 'invalid_client' }];
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, Date.now() + TOKEN_TTL_S * 1000);
    return [200, { access_token: token, token_type: 'Bearer', expires_in: TOKEN_TTL_S, scope: form.get('scope') ?? '' }];
  }

  function phoneOf(body: Record<string, unknown>): string | Problem {
    if (body.phoneNumber === undefined) return problem(422, 'MISSING_IDENTIFIER', 'The device cannot be identified.');
    if (typeof body.phoneNumber !== 'string' || !E164.test(body.phoneNumber)) return problem(400, 'INVALID_ARGUMENT', 'Client specified an invalid argument, request body or query param.');
    return body.phoneNumber;
  }

  function api(path: string, body: Record<string, unknown>): Record<string, unknown> | Problem {
    const phone = phoneOf(body);
    if (typeof phone !== 'string') return phone;
    const now = Date.now();
    switch (path) {
      case CAMARA_PATHS.simSwapCheck: {
        const maxAge = body.maxAge ?? 240;
        if (typeof maxAge !== 'number' || !Number.isInteger(maxAge)) return problem(400, 'INVALID_ARGUMENT', 'maxAge must be an integer');
        if (maxAge < 1 || maxAge > 2400) return problem(400, 'OUT_OF_RANGE', 'Client specified an invalid range.');
        return { swapped: (swaps.get(phone) ?? []).some((t) => t <= now && t > now - maxAge * 3_600_000) };
      }
      case CAMARA_PATHS.simSwapRetrieveDate: {
        const latest = Math.max(...(swaps.get(phone) ?? []).filter((t) => t <= now));
        return { latestSimChange: Number.isFinite(latest) ? new Date(latest).toISOString() : null };
      }
      case CAMARA_PATHS.recyclingCheck: {
        const d = body.specifiedDate;
        if (typeof d !== 'string' || !DATE.test(d) || Number.isNaN(Date.parse(d))) return problem(400, 'INVALID_ARGUMENT', 'specifiedDate must be a date (YYYY-MM-DD)');
        if (d > new Date(now).toISOString().slice(0, 10)) return problem(400, 'OUT_OF_RANGE', 'Client specified an invalid range.');
        recyclingAsked.push(phone);
        // A new subscriber's contract on a day after the specified date (that day itself is the holder's own).
        return { phoneNumberRecycled: (recycled.get(phone) ?? []).some((t) => new Date(t).toISOString().slice(0, 10) > d && t <= now) };
      }
    }
    return problem(404, 'NOT_FOUND', 'The specified resource is not found.');
  }

  /** Development controls: what the operator knows, and how it behaves. */
  function control(path: string, body: Record<string, unknown>): [number, Record<string, unknown>] {
    const phone = typeof body.phoneNumber === 'string' && E164.test(body.phoneNumber) ? body.phoneNumber : undefined;
    const at = typeof body.at === 'string' && !Number.isNaN(Date.parse(body.at)) ? new Date(body.at) : new Date();
    if (path === '/_dev/sim-swap' && phone) return (add(swaps, phone, at), [200, { phoneNumber: phone, at: at.toISOString() }]);
    if (path === '/_dev/recycled' && phone) return (add(recycled, phone, at), [200, { phoneNumber: phone, at: at.toISOString() }]);
    if (path === '/_dev/mode' && (body.mode === 'up' || body.mode === 'down')) return ((mode = { kind: body.mode }), [200, { mode: body.mode }]);
    if (path === '/_dev/mode' && body.mode === 'slow' && typeof body.delayMs === 'number') return ((mode = { kind: 'slow', delayMs: Math.min(body.delayMs, 600_000) }), [200, { mode: 'slow' }]);
    return [400, { status: 400, code: 'INVALID_ARGUMENT', message: 'phoneNumber (E.164) and an optional at, or mode up|down|slow with delayMs' }];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(req.headers['x-correlator'] ? { 'x-correlator': String(req.headers['x-correlator']).slice(0, 256) } : {}) });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST') return send(405, { status: 405, code: 'METHOD_NOT_ALLOWED', message: 'POST only' });
    const raw = await readBody(req);
    if (raw === undefined) return send(400, { status: 400, code: 'INVALID_ARGUMENT', message: 'body too large' });
    if (path === CAMARA_PATHS.token) {
      const [status, body] = tokenResponse(req, new URLSearchParams(raw));
      return send(status, body);
    }
    const body = parseJson(raw);
    if (path.startsWith('/_dev/')) {
      const [status, out] = control(path, body ?? {});
      return send(status, out);
    }
    calls.set(path, (calls.get(path) ?? 0) + 1);
    if (mode.kind === 'down') return send(503, { status: 503, code: 'UNAVAILABLE', message: 'Service is unavailable.' });
    if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.kind === 'slow' ? mode.delayMs : 0));
    if (!authorised(req)) return send(401, { status: 401, code: 'UNAUTHENTICATED', message: 'Request not authenticated due to missing, invalid, or expired credentials.' });
    if (!body) return send(400, { status: 400, code: 'INVALID_ARGUMENT', message: 'Client specified an invalid argument, request body or query param.' });
    const out = api(path, body);
    if (typeof out.status === 'number' && typeof out.code === 'string') return send(out.status, out);
    send(200, out);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 500, code: 'INTERNAL', message: 'Server error.' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    declareSimSwap: (phone, at = new Date()) => void add(swaps, phone, at),
    declareRecycled: (phone, at = new Date()) => void add(recycled, phone, at),
    setMode: (m) => void (mode = m),
    calls,
    recyclingAsked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
