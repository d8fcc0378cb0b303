/**
 * SEC-4: the remote codec the Temporal Web UI calls from the browser to show decrypted payloads
 * to authorised engineers. POST `/decode` and `/encode` take and return `{ payloads: [...] }` with
 * base64 fields (Temporal's remote-codec protocol). A request needs a valid token, as
 * `Authorization: Bearer <token>` or as the first path segment (`/<token>/decode`) for a UI that
 * cannot send headers; without one it gets 401 and the UI shows ciphertext. CORS admits the UI's
 * origin and answers the preflight.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Accepted bearer tokens (engineers or services allowed to see personal data). */
  tokens: string[];
  /** Origins allowed to call from a browser, e.g. http://localhost:8233. */
  allowedOrigins: string[];
  port?: number;
  host?: string;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

function tokenOk(given: string | undefined, tokens: string[]): boolean {
  if (!given) return false;
  const g = Buffer.from(given);
  return tokens.some((t) => t.length === given.length && timingSafeEqual(Buffer.from(t), g));
}

async function body(req: IncomingMessage, limit = 4 * 1024 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(o: CodecServerOptions): Promise<CodecServer> {
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin && o.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const parts = (req.url ?? '/').split('?')[0]!.split('/').filter(Boolean);
    const action = parts.at(-1);
    const pathToken = parts.length === 2 ? parts[0] : undefined;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.method !== 'POST' || (action !== 'encode' && action !== 'decode') || parts.length > 2) {
      return void res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'POST /decode or /encode' }));
    }
    if (!tokenOk(bearer ?? pathToken, o.tokens)) {
      return void res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'a valid bearer token is required' }));
    }
    try {
      const { payloads } = JSON.parse(await body(req)) as { payloads: JsonPayload[] };
      const input = (payloads ?? []).map(fromJson);
      const out = action === 'decode' ? await o.codec.decode(input) : await o.codec.encode(input);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: err instanceof Error ? err.message : 'bad request' }));
    }
  }

  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
