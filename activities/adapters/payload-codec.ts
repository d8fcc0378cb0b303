/**
 * SEC-4: every payload Temporal stores (workflow input with the new number, activity results with
 * the old number and e-mail, update arguments) is encrypted with AES-256-GCM before it leaves the
 * process. The key id travels in the payload's metadata, so keys rotate: new data is sealed with
 * the current key, data sealed with an older key still opens while that key is configured.
 *
 * With `requireEncryption` (production), a payload that is not sealed is refused: whoever sent it
 * holds no key, so nothing in it counts. It decodes as JSON `null` rather than as an error: a
 * codec error fails the whole workflow task, again at every retry, and a signal in history would
 * wedge the change for good; `null` is malformed input every update validator rejects and every
 * signal handler drops, so the change goes on untouched.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface CodecOptions {
  /** Refuse payloads that are not sealed (they decode as `null`); set in production. */
  requireEncryption?: boolean;
  /**
   * Hole 5: a payload that cannot be read (a key id not configured, a failed authentication tag,
   * an unknown encoding, JSON that does not parse) decodes as `null` instead of throwing. Set for
   * workers and clients: any Temporal caller can send such a payload, and a throw would fail every
   * workflow task of the change. The codec server leaves it off, to answer 400.
   */
  refuseUnreadable?: boolean;
}

/** Encodings the SDK's default payload converter reads. */
const READABLE = new Set(['binary/null', 'binary/plain', 'json/plain', 'json/protobuf', 'binary/protobuf']);

/** What an unsealed payload decodes to when encryption is required: JSON null. */
export const REFUSED_PAYLOAD: Payload = { metadata: { encoding: encoder.encode('json/plain') }, data: encoder.encode('null') };

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` seals new payloads; every key opens payloads sealed with it. */
  constructor(
    private readonly keys: CodecKey[],
    private readonly options: CodecOptions = {},
  ) {
    if (keys.length === 0) throw new PayloadKeyError('at least one payload key is required');
    for (const k of keys) if (k.key.length !== 32) throw new PayloadKeyError(`payload key ${k.id} must be 32 bytes`);
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const current = this.keys[0]!;
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID]: encoder.encode(current.id) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    if (!this.options.refuseUnreadable) return payloads.map((p) => this.open(p));
    return payloads.map((p) => {
      try {
        return readable(this.open(p));
      } catch {
        return REFUSED_PAYLOAD;
      }
    });
  }

  private open(p: Payload): Payload {
    {
      if (!p.metadata || decoder.decode(p.metadata.encoding ?? new Uint8Array()) !== ENCRYPTED_ENCODING) {
        return this.options.requireEncryption ? REFUSED_PAYLOAD : p; // otherwise: written before encryption (development)
      }
      const id = decoder.decode(p.metadata[KEY_ID] ?? new Uint8Array());
      const key = this.byId.get(id);
      if (!key) throw new PayloadKeyError(`no payload key "${id}" is configured; it is needed to open this payload`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    }
  }
}

/** The payload if the default converter can read it; throws otherwise. */
function readable(p: Payload): Payload {
  const encoding = decoder.decode(p.metadata?.encoding ?? new Uint8Array());
  if (!READABLE.has(encoding)) throw new Error(`unreadable encoding ${encoding.slice(0, 40)}`);
  if (encoding === 'json/plain') JSON.parse(decoder.decode(p.data ?? new Uint8Array()));
  return p;
}

/** Parses `id1:base64key,id2:base64key` (current key first). */
export function parsePayloadKeys(spec: string): CodecKey[] {
  const keys = spec.split(',').map((part) => {
    const [id, b64] = part.split(':');
    if (!id || !b64 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new PayloadKeyError('PAYLOAD_KEYS must be id:base64key[,id:base64key...]');
    return { id, key: Buffer.from(b64, 'base64') };
  });
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new PayloadKeyError(`PAYLOAD_KEYS names the key id ${twice} twice`);
  return keys;
}
