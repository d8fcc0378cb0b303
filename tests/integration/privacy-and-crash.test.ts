import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { eventually, startHarness, DEFAULT_IDENTITY, PAYLOAD_KEYS, PROOF_KEYS, type Harness } from '../support/harness';
import { AesGcmCodec } from '../../activities/adapters/payload-codec';
import { hashIdentity } from '../../activities/codes';
import { kill, spawnWorker as spawnProcess } from '../support/worker-process';
import { workflowIdFor } from '../../workflows/phone-change.defs';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ startWorker: false, policy: {} });
});
afterAll(async () => h?.close());

const spawnWorker = (name: string) => spawnProcess(h, name);

/** Every string in the history, with payload bytes decoded as text. */
function historyText(node: unknown, out: string[] = []): string[] {
  if (node instanceof Uint8Array) out.push(Buffer.from(node).toString('utf8'), Buffer.from(node).toString('base64'));
  else if (typeof node === 'string') out.push(node);
  else if (Array.isArray(node)) node.forEach((n) => historyText(n, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((n) => historyText(n, out));
  return out;
}

/** Every payload in a history, found by shape. */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) out.push(o as Payload);
    else for (const v of Object.values(o)) payloadsOf(v, out);
  }
  return out;
}

describe('a worker process killed mid-change, and what history holds', () => {
  it('CH-1 OTP-1 OTP-2 SEC-4 SEC-5: after SIGKILL a new worker finishes the change; every code was sent exactly once; no code or personal datum in clear in history, and nothing a proof is compared against even decrypted', async () => {
    let worker = spawnWorker('worker-1');
    try {
      const account = await h.newAccount();
      const newPhone = h.freshPhone();
      await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
      const identityToken = await h.linkTokenSentTo(account.phone, 'identity_link');
      const rejectToken = await h.linkTokenSentTo(account.phone, 'requested');
      expect((await h.passIdentity(account)).outcome).toBe('confirmed');
      const oldCode = await h.codeSentTo(account.phone);

      // The change waits for the old-number code and the SMS activity has run: kill without warning.
      await kill(worker, 'SIGKILL');
      worker = spawnWorker('worker-2');

      expect((await h.client.submitCode(account.accountId, 'old', oldCode)).outcome).toBe('accepted');
      const newCode = await h.codeSentTo(newPhone);
      expect((await h.client.submitCode(account.accountId, 'new', newCode)).outcome).toBe('accepted');
      expect((await h.client.result(account.accountId)).state).toBe('completed');
      expect((await h.services.deps.registry.getAccount(account.accountId))?.value.phone).toBe(newPhone);

      await h.smsSettled();
      expect(h.smsTo(account.phone).filter((m) => m.kind === 'code_old')).toHaveLength(1);
      expect(h.smsTo(newPhone).filter((m) => m.kind === 'code_new')).toHaveLength(1);
      const history = await h.client.history(account.accountId);
      expect(history.filter((e) => e.kind === 'requested')).toHaveLength(1);
      expect(history.filter((e) => e.kind === 'code_sent')).toHaveLength(2);
      await h.smtp.waitFor((m) => m.to.includes(account.email!), 2);
      await eventually(() => h.events.items.filter((e) => e.accountId === account.accountId).length === 2, 'two events');

      // SEC-4: no code, link token, identity datum, phone number or e-mail in workflow history, in
      // clear or base64: payloads are encrypted (AES-GCM), codes and tokens never enter at all.
      const events = (await h.temporal.workflow.getHandle(workflowIdFor(account.accountId)).fetchHistory()).events ?? [];
      const text = historyText(events).join('\n');
      expect(text.length).toBeGreaterThan(1000);
      const personal = [account.phone, newPhone, account.phone.slice(1), newPhone.slice(1), account.email!, 'Иванова'];
      for (const code of [oldCode, newCode, identityToken, rejectToken, DEFAULT_IDENTITY.passport, '4510123456', ...personal]) {
        expect(text).not.toContain(code);
        expect(text).not.toContain(Buffer.from(code).toString('base64'));
      }
      // SEC-5: decrypted, as an engineer with a codec token reads it, history holds nothing a
      // handler compares a proof against: no keyed hash of the profile, no hash at all, no link
      // token that was not typed (and what was typed is spent).
      const opened = await new AesGcmCodec(PAYLOAD_KEYS).decode(payloadsOf(events));
      const decrypted = opened.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
      expect(decrypted).toContain(oldCode); // typed by the citizen, judged and spent
      expect(decrypted).not.toContain(hashIdentity(PROOF_KEYS.identity, account.accountId, DEFAULT_IDENTITY));
      expect(decrypted).not.toMatch(/\b[0-9a-f]{64}\b/);
      expect(decrypted).not.toContain(rejectToken);
    } finally {
      await kill(worker, 'SIGTERM');
    }
  });
});
