/**
 * SEC-4: the remote codec the Temporal Web UI calls from the browser to show decrypted payloads
 * to authorised engineers. POST `/decode` and `/encode` take and return `{ payloads: [...] }` with
 * base64 fields (Temporal's remote-codec protocol). A request needs a valid token as
 * `Authorization: Bearer <token>`, or a session cookie from the login page (`/login`): the Web UI
 * of the dev server sends no custom header, but sends cookies when its codec setting "Include
 * cross-origin credentials" is on. Tokens never travel in URLs (they end up in the UI's settings,
 * browser history and access logs). Without a valid one: 401, and the UI shows ciphertext.
 *
 * It faces browsers and anyone on the network, so no request can crash it: every error is a JSON
 * answer (400, 401, 404, 405, 413), bodies are capped, tokens are compared as SHA-256 digests in
 * constant time (no length leaks, no exception on odd bytes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Accepted bearer tokens (engineers or services allowed to see personal data). */
  tokens: string[];
  /** Origins allowed to call from a browser, e.g. http://localhost:8233. */
  allowedOrigins: string[];
  port?: number;
  host?: string;
  /** Largest request body accepted (default 4 MiB). */
  maxBodyBytes?: number;
  /** Mark the session cookie `Secure` (behind HTTPS, i.e. in production). */
  secureCookie?: boolean;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const base64 = z
  .string()
  .max(64 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 expected');
const codecRequest = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000) });
type JsonPayload = z.infer<typeof codecRequest>['payloads'][number];

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Compares digests, so every comparison is 32 bytes against 32 bytes, whatever was sent. */
function matchesAny(given: string | undefined, digests: Buffer[]): boolean {
  if (!given) return false;
  const g = digest(given);
  return digests.reduce((ok, d) => timingSafeEqual(d, g) || ok, false);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new HttpError(413, `the body exceeds ${limit} bytes`);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, `the body exceeds ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

const SESSION_COOKIE = 'codec_session';
const SESSION_MS = 8 * 3600_000;
const MAX_SESSIONS = 1000;

/** Login sessions, kept as digests: a memory dump holds no usable session id. */
class Sessions {
  private readonly expiries = new Map<string, number>();
  create(): string {
    const id = randomBytes(32).toString('base64url');
    if (this.expiries.size >= MAX_SESSIONS) this.expiries.delete(this.expiries.keys().next().value!);
    this.expiries.set(digest(id).toString('hex'), Date.now() + SESSION_MS);
    return id;
  }
  valid(id: string | undefined): boolean {
    const until = id ? this.expiries.get(digest(id).toString('hex')) : undefined;
    return until !== undefined && until > Date.now();
  }
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

const LOGIN_PAGE = `<!doctype html><meta charset="utf-8"><title>phone-change codec server</title>
<form method="post" action="/login"><label>Codec token <input type="password" name="token" autocomplete="off"></label>
<button>Sign in</button></form>
<p>Then, in the Temporal Web UI's codec server settings, turn on "Include cross-origin credentials".</p>`;

export async function startCodecServer(o: CodecServerOptions): Promise<CodecServer> {
  const digests = o.tokens.map(digest);
  const sessions = new Sessions();
  const limit = o.maxBodyBytes ?? 4 * 1024 * 1024;

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin || !o.allowedOrigins.includes(origin)) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
  }

  function authorised(req: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return matchesAny(bearer, digests) || sessions.valid(cookie(req, SESSION_COOKIE));
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = new URLSearchParams(await readBody(req, 4096)).get('token') ?? undefined;
    if (!matchesAny(token, digests)) throw new HttpError(401, 'a valid token is required');
    const flags = `HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}${o.secureCookie ? '; Secure' : ''}`;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Set-Cookie': `${SESSION_COOKIE}=${sessions.create()}; ${flags}` });
    res.end('Signed in. The Web UI can now decode payloads (with "Include cross-origin credentials" on).\n');
  }

  async function codec(action: 'encode' | 'decode', req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorised(req)) throw new HttpError(401, 'a valid bearer token or login session is required');
    const parsed = codecRequest.safeParse(parseJson(await readBody(req, limit)));
    if (!parsed.success) throw new HttpError(400, 'expected { payloads: [{ metadata?, data? }] } with base64 values');
    const input = parsed.data.payloads.map(fromJson);
    let out: Payload[];
    try {
      out = action === 'decode' ? await o.codec.decode(input) : await o.codec.encode(input);
    } catch (err) {
      throw new HttpError(400, err instanceof Error ? err.message : 'the payloads cannot be processed');
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    cors(req, res);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (path === '/login' && req.method === 'GET') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
    if (path === '/login' && req.method === 'POST') return login(req, res);
    if (path !== '/decode' && path !== '/encode') throw new HttpError(404, 'POST /decode or /encode');
    if (req.method !== 'POST') throw new HttpError(405, 'POST /decode or /encode');
    return codec(path === '/decode' ? 'decode' : 'encode', req, res);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 400;
      const message = err instanceof HttpError ? err.message : 'bad request';
      if (res.headersSent) return void res.destroy();
      // A refused body is not read to its end: close the connection once the answer is out.
      res.writeHead(status, { 'Content-Type': 'application/json', ...(status === 413 ? { Connection: 'close' } : {}) }).end(JSON.stringify({ error: message }));
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":"bad request"}');
    else socket.destroy();
  });

  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
