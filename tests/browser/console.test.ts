/**
 * Issue 15: the support console in a real browser (Debian's chromium through playwright-core)
 * against the running stack: sign in through the identity provider's stand-in, see a lost-number
 * change in the queue, override it with evidence and see it move on; a rejection found by request
 * id; an operator without the role refused; English on request; no personal data in any URL.
 * REC-2 as a form: a support recovery opened and login enabled with documents checked, refused
 * without the role. Screenshots of the queue, a change's page and a recovery are kept in
 * .data/screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { eventually, operatorToken, startHarness, type Harness } from '../support/harness';
import { chromiumPath } from '../support/ensure-chromium';
import { startTestApi, type TestApi } from '../api/api-harness';
import { consolePlugin } from '../../client/console/routes';
import { Sessions, type OperatorIdp } from '../../client/console/sessions';
import { DevIdp } from '../../client/console/dev-idp';
import type { Account } from '../../activities/ports';
import { RecoveryClient } from '../../client/recovery-client';
import { passwordPublicKey } from '../../activities/adapters/password-seal';
import { operatorRoles } from '../../workflows/phone-change.defs';
import { PROOF_KEYS } from '../support/harness';

const SHOTS = resolve('.data/screenshots');
let h: Harness;
let api: TestApi;
let browser: Browser;
let rc: RecoveryClient;
const urls: string[] = [];

beforeAll(async () => {
  const executablePath = chromiumPath();
  h = await startHarness();
  // The console's identity provider: logins signed with a key of this test; action credentials
  // minted with the key the harness's worker trusts (one provider in production, two keys here).
  const login = await generateKeyPair('ES256', { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'console-idp-'));
  writeFileSync(join(dir, 'private.pem'), await exportPKCS8(login.privateKey));
  const dev = new DevIdp({ privateKeyPath: join(dir, 'private.pem'), issuer: 'test-idp', loginAudience: 'phone-change-console', actionAudience: 'phone-change' });
  const idp: OperatorIdp = {
    loginUrl: dev.loginUrl,
    mintActionCredential: (b) => operatorToken({ account: b.accountId, requestId: b.requestId, action: b.action, roles: b.roles, sub: b.operator, name: b.name }),
  };
  const sessions = new Sessions({ publicKeyPem: await exportSPKI(login.publicKey), issuer: 'test-idp', audience: 'phone-change-console', sessionTtlMs: 15 * 60_000 });
  rc = new RecoveryClient({ client: h.temporal, taskQueue: h.taskQueue, passwordPublicKey: passwordPublicKey(PROOF_KEYS.passwords) });
  api = await startTestApi(h, h.client, { plugins: [consolePlugin({ client: h.client, recovery: rc, sessions, idp, secureCookies: false }), async (app) => dev.routes(app)] });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
});

async function signIn(roles: string[] = [...operatorRoles]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 800 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  page.on('framenavigated', (f) => void urls.push(f.url()));
  await page.goto(`${api.url}/console`);
  await expect.poll(() => page.url()).toContain('/console/login');
  await page.getByRole('link', { name: 'Войти через поставщика удостоверений' }).click();
  await page.getByLabel('Оператор / Operator id').fill('op-17');
  await page.getByLabel('Имя / Name').fill('Петрова Мария');
  for (const r of operatorRoles) if (!roles.includes(r)) await page.getByLabel(r).uncheck();
  await page.getByRole('button', { name: /Выдать удостоверение/ }).click();
  await page.getByRole('button', { name: /Продолжить в консоль/ }).click();
  await page.getByRole('heading', { name: 'Очередь на решение поддержки' }).waitFor();
  return { context, page };
}

/** No support recovery was ever opened for the account. */
const refusedStatus = (accountId: string) =>
  rc.supportRecoveryStatus(accountId).then(
    () => false,
    () => true,
  );

async function lostNumberChange(): Promise<{ account: Account; requestId: string; newPhone: string }> {
  const account = await h.newAccount();
  const newPhone = h.freshPhone();
  const { requestId } = await h.client.start({ accountId: account.accountId, newPhone, auth: 'two_factor' });
  await h.client.reportOldNumberLost(account.accountId);
  return { account, requestId, newPhone };
}

/** Reloads until the queue (Temporal visibility) lists the change. */
async function waitInQueue(page: Page, requestId: string): Promise<void> {
  await eventually(
    async () => {
      await page.goto(`${api.url}/console`);
      return (await page.getByRole('link', { name: requestId }).count()) > 0;
    },
    `${requestId} in the queue`,
    40_000,
  );
}

describe('issue 15: the support console in the browser (LOST-1, LOST-2, SEC-6, AFTER-3, REC-2)', () => {
  it('signs in, sees a lost-number change in the queue, overrides it with evidence and sees it move on', async () => {
    const c = await lostNumberChange();
    const { context, page } = await signIn();
    const cookies = await context.cookies();
    expect(cookies.find((k) => k.name === 'pc_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await waitInQueue(page, c.requestId);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: c.requestId }) });
    await expect.poll(() => row.textContent()).toContain('нет доступа к старому номеру');
    expect(await page.content()).not.toContain(c.newPhone);
    await page.screenshot({ path: join(SHOTS, 'console-queue.png'), fullPage: true });

    await page.getByRole('link', { name: c.requestId }).click();
    await page.getByRole('heading', { name: `Заявка ${c.requestId}` }).waitFor();
    const html = await page.content();
    expect(html).not.toContain(c.newPhone);
    expect(html).not.toContain(c.account.phone);
    expect(await page.locator('#change-state').textContent()).toBe('awaiting_support');
    await page.screenshot({ path: join(SHOTS, 'console-change.png'), fullPage: true });

    // Every visible form control has a label.
    const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
      els.filter((el) => !(el as unknown as { labels?: { length: number } }).labels?.length).map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    await page.getByLabel('Способ подтверждения личности').selectOption('video_verification');
    await page.getByLabel('Ссылка на доказательство (номер дела, документа, записи)').fill('VID-2026-0042');
    await page.locator('#override-reason').fill('личность подтверждена по видеосвязи');
    await page.getByRole('button', { name: 'Одобрить' }).click();
    await page.getByRole('status').filter({ hasText: 'Готово' }).waitFor();
    expect(await page.locator('#change-state').textContent()).toBe('awaiting_new_number');
    const st = await h.client.status(c.account.accountId);
    expect(st).toMatchObject({ state: 'awaiting_new_number', support: { override: { method: 'video_verification', evidenceRef: 'VID-2026-0042', operator: { id: 'op-17' } } } });
    await eventually(async () => {
      await page.goto(`${api.url}/console`);
      return (await page.getByRole('link', { name: c.requestId }).count()) === 0;
    }, 'the change to leave the queue');
    await context.close();
  });

  it('finds a change by request id and rejects it', async () => {
    const c = await lostNumberChange();
    const { context, page } = await signIn(['support:reject']);
    await eventually(async () => {
      await page.goto(`${api.url}/console`);
      await page.getByLabel('Найти заявку по номеру').fill(c.requestId);
      await page.getByRole('button', { name: 'Найти' }).click();
      return (await page.getByRole('heading', { name: `Заявка ${c.requestId}` }).count()) > 0;
    }, 'the change found by request id');
    await page.locator('#reject-reason').fill('владелец сообщил, что не менял номер');
    await page.getByRole('button', { name: 'Отклонить' }).click();
    await page.getByRole('status').filter({ hasText: 'Готово' }).waitFor();
    expect((await h.client.status(c.account.accountId)).state).toBe('rejected');
    await context.close();
  });

  it('refuses an action to an operator without its role, and a form without the session token; nothing changes; English on request', async () => {
    const c = await lostNumberChange();
    const { context, page } = await signIn(['support:reject']);
    await waitInQueue(page, c.requestId);
    await page.getByRole('link', { name: c.requestId }).click();
    await page.getByLabel('Ссылка на доказательство (номер дела, документа, записи)').fill('CASE-1');
    await page.locator('#override-reason').fill('попытка без роли');
    await page.getByRole('button', { name: 'Одобрить' }).click();
    await page.getByRole('alert').filter({ hasText: 'Отказано: у вас нет роли support:override' }).waitFor();
    expect((await h.client.status(c.account.accountId)).state).toBe('awaiting_support');

    // A cross-site form post carries no CSRF token (and no cookie, SameSite=Strict): back to sign-in.
    const forged = await context.request.post(`${api.url}/console/changes/${c.requestId}/reject`, { form: { reason: 'forged' }, maxRedirects: 0 });
    expect(forged.status()).toBe(303);
    expect(forged.headers().location).toBe('/console/login');
    expect((await h.client.status(c.account.accountId)).state).toBe('awaiting_support');

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Waiting for support' }).waitFor();
    await context.close();
  });

  it('REC-2: an operator with support:recovery opens a recovery for an account without e-mail and, documents checked, enables login by keyboard; a temporary password goes by SMS', async () => {
    const account = await h.newAccount({ email: undefined });
    const newPhone = h.freshPhone();
    const { context, page } = await signIn();
    await page.getByRole('link', { name: 'Восстановление доступа (без почты)' }).click();
    await page.getByRole('heading', { name: 'Восстановление доступа (без почты)', level: 2 }).waitFor();
    await page.getByLabel('Учётная запись (идентификатор)', { exact: true }).fill(account.accountId);
    await page.keyboard.press('Enter');
    await page.getByText('Для этой учётной записи нет открытого восстановления.').waitFor();
    await page.getByRole('button', { name: 'Открыть восстановление' }).click();
    await page.getByRole('status').filter({ hasText: 'Готово. Новое состояние: awaiting_support' }).waitFor();
    expect(await page.locator('#recovery-state').textContent()).toBe('awaiting_support');
    const opened = await rc.supportRecoveryStatus(account.accountId);
    expect(opened).toMatchObject({ state: 'awaiting_support', kind: 'support' });

    const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
      els.filter((el) => !(el as unknown as { labels?: { length: number } }).labels?.length).map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // By keyboard: every field reached with Tab from the method, the form sent with Enter on its button.
    await page.getByLabel('Способ подтверждения личности').focus();
    await page.getByLabel('Способ подтверждения личности').selectOption('service_centre_passport');
    await page.keyboard.press('Tab');
    await page.keyboard.type('MFC-77-0042');
    await page.keyboard.press('Tab');
    await page.keyboard.type(newPhone);
    await page.keyboard.press('Tab');
    await page.keyboard.type('почты нет, паспорт проверен в МФЦ');
    expect(await page.getByLabel('Ссылка на доказательство (номер дела, документа, записи)').inputValue()).toBe('MFC-77-0042');
    await page.screenshot({ path: join(SHOTS, 'console-recovery.png'), fullPage: true });
    await page.keyboard.press('Tab');
    await expect.poll(() => page.locator(':focus').textContent()).toBe('Включить вход');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Готово. Новое состояние: awaiting_first_login' }).waitFor();
    expect(await page.locator('#recovery-state').textContent()).toBe('awaiting_first_login');
    expect(await rc.supportRecoveryStatus(account.accountId)).toMatchObject({ state: 'awaiting_first_login', operator: { id: 'op-17', name: 'Петрова Мария' } });
    await eventually(() => h.smsTo(newPhone).find((m) => m.kind === 'temporary_password'), 'the temporary password SMS');
    const entry = (await h.client.history(account.accountId)).find((x) => x.kind === 'login_enabled_by_support');
    expect(entry).toMatchObject({ details: { method: 'service_centre_passport', evidenceRef: 'MFC-77-0042' } });
    expect(await page.content()).not.toContain(newPhone);

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Access recovery (no e-mail)' }).click();
    await page.getByRole('heading', { name: 'Access recovery (no e-mail)', level: 2 }).waitFor();
    await context.close();
  });

  it('REC-2 refused without the role support:recovery: neither opening a recovery nor enabling login changes anything', async () => {
    const fresh = await h.newAccount({ email: undefined });
    const waiting = await h.newAccount({ email: undefined });
    const open = await rc.startSupportRecovery(waiting.accountId);
    const { context, page } = await signIn(['support:override', 'support:reject', 'support:revert']);
    await page.goto(`${api.url}/console/recovery`);
    await page.getByLabel('Учётная запись (идентификатор)', { exact: true }).fill(fresh.accountId);
    await page.getByRole('button', { name: 'Открыть', exact: true }).click();
    await page.getByRole('button', { name: 'Открыть восстановление' }).click();
    await page.getByRole('alert').filter({ hasText: 'Отказано: у вас нет роли support:recovery' }).waitFor();
    expect(await refusedStatus(fresh.accountId)).toBe(true);

    await page.getByLabel('Учётная запись (идентификатор)', { exact: true }).fill(waiting.accountId);
    await page.getByRole('button', { name: 'Открыть', exact: true }).click();
    await page.getByText('Нужна роль support:recovery').first().waitFor();
    await page.getByLabel('Ссылка на доказательство (номер дела, документа, записи)').fill('MFC-1');
    await page.getByLabel('Новый номер гражданина (для временного пароля)').fill(h.freshPhone());
    await page.locator('#recovery-reason').fill('попытка без роли');
    await page.getByRole('button', { name: 'Включить вход' }).click();
    await page.getByRole('alert').filter({ hasText: 'Отказано: у вас нет роли support:recovery' }).waitFor();
    expect(await rc.supportRecoveryStatus(waiting.accountId)).toMatchObject({ state: 'awaiting_support', requestId: open.requestId });
    expect((await h.client.history(waiting.accountId)).some((x) => x.kind === 'login_enabled_by_support')).toBe(false);
    await context.close();
  });

  it('puts no personal data in any URL it visited', () => {
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).not.toMatch(/\+?\d{10,}|acct-|@/);
  });
});
