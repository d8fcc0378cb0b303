import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEnv, startHarness, DEFAULT_IDENTITY, type Harness } from '../support/harness';
import { spawnCapturedWorker, type CapturedWorker } from '../support/worker-process';

const run = promisify(execFile);
let h: Harness;
let worker: CapturedWorker;

/** The most the worker ever says. */
const env = () => processEnv(h, { LOG_LEVEL: 'debug' });

beforeAll(async () => {
  h = await startHarness({ startWorker: false, policy: {} });
  worker = spawnCapturedWorker(env());
});
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

/** The CLI, as an operator or a back end would run it; returns everything it printed. */
async function cli(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'client/cli.ts', ...args], { env: env() });
  return stdout + stderr;
}

describe('logs (SEC-4)', () => {
  it("SEC-4: the worker's and the client's output during a full change holds no personal data, code or token in clear", async () => {
    const account = await h.newAccount();
    const newPhone = h.freshPhone();
    let out = await cli('start', '--account', account.accountId, '--phone', newPhone);
    const token = await h.linkTokenSentTo(account.phone, 'identity_link');
    const rejectToken = await h.linkTokenSentTo(account.phone, 'requested');
    out += await cli('identity', '--account', account.accountId, '--token', token, '--name', DEFAULT_IDENTITY.fullName, '--passport', DEFAULT_IDENTITY.passport);
    const oldCode = await h.codeSentTo(account.phone);
    out += await cli('code', oldCode, '--account', account.accountId, '--step', 'old');
    const newCode = await h.codeSentTo(newPhone);
    out += await cli('code', newCode, '--account', account.accountId, '--step', 'new');
    out += await cli('status', '--account', account.accountId);
    out += await cli('history', '--account', account.accountId);
    expect(out).toContain('"state": "completed"');
    expect(worker.output().length).toBeGreaterThan(200); // it did log, at debug level

    const secrets = [account.phone, account.phone.slice(1), newPhone, newPhone.slice(1), account.email!, oldCode, newCode, token, rejectToken, DEFAULT_IDENTITY.passport, '4510123456', 'Иванова'];
    for (const s of secrets) {
      expect(worker.output(), `worker log holds ${s}`).not.toContain(s);
      expect(out, `client output holds ${s}`).not.toContain(s);
    }
    expect(out).toMatch(/\+7 \*\*\* \*\*\*-\*\*-\d\d/); // masked forms are fine
    // Seven CLI processes, each starting tsx: 27 s alone, over 60 s in the whole suite at load 11.
  }, 150_000);
});
