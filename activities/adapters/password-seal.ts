/**
 * REC-1, REC-2: a new password travels from the client to the worker sealed to the worker's
 * X25519 password key (ECIES: an ephemeral key agreement, HKDF-SHA256, AES-256-GCM), bound to the
 * account and the recovery it is for. The client holds only the public half; workflow history and
 * the codec server see the sealed blob, which only the worker opens, and only to hash it.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { SEAL_INFO, SEALED_PATTERN } from '../../workflows/recovery.defs';

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

export interface SealedPassword {
  accountId: string;
  requestId: string;
  password: string;
  /** REC-1: the e-mail code, sealed with the password so it never enters history in clear. */
  code?: string;
  /** REC-2: the temporary password, proving the first login. */
  current?: string;
}

const privateKeyOf = (raw: Buffer): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
const publicKeyOf = (raw: Buffer): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
const rawPublic = (k: KeyObject): Buffer => k.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length);

/** The public half of the worker's password key (32 bytes), for clients. */
export function passwordPublicKey(privateRaw: Buffer): Buffer {
  return rawPublic(createPublicKey(privateKeyOf(privateRaw)));
}

function keyFor(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), SEAL_INFO, 32));
}

export function sealPassword(publicRaw: Buffer, p: SealedPassword): string {
  const eph = generateKeyPairSync('x25519');
  const ephRaw = rawPublic(eph.publicKey);
  const key = keyFor(diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyOf(publicRaw) }), ephRaw, publicRaw);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(JSON.stringify({ a: p.accountId, r: p.requestId, p: p.password, c: p.code, t: p.current }), 'utf8'), c.final(), c.getAuthTag()]);
  return ['v1', ephRaw.toString('base64url'), nonce.toString('base64url'), body.toString('base64url')].join('.');
}

/** Opens a sealed password; undefined when it is not one sealed to this key (forged, tampered, another key). */
export function openPassword(privateRaw: Buffer, sealed: string): SealedPassword | undefined {
  if (!SEALED_PATTERN.test(sealed)) return undefined;
  const [, e, n, b] = sealed.split('.') as [string, string, string, string];
  try {
    const ephRaw = Buffer.from(e, 'base64url');
    const key = keyFor(diffieHellman({ privateKey: privateKeyOf(privateRaw), publicKey: publicKeyOf(ephRaw) }), ephRaw, passwordPublicKey(privateRaw));
    const body = Buffer.from(b, 'base64url');
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(n, 'base64url'));
    d.setAuthTag(body.subarray(body.length - 16));
    const json = JSON.parse(Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8')) as Record<string, unknown>;
    if (typeof json.a !== 'string' || typeof json.r !== 'string' || typeof json.p !== 'string') return undefined;
    const opt = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { accountId: json.a, requestId: json.r, password: json.p, code: opt(json.c), current: opt(json.t) };
  } catch {
    return undefined;
  }
}
