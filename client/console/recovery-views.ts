/** REC-2 in the console: open a support recovery for an account and enable login with documents checked (plain forms, labels, no scripts). */
import { overrideMethods } from '../../workflows/phone-change.defs';
import type { RecoveryStatus } from '../../workflows/recovery.defs';
import { words, type Lang, type Words } from './i18n';
import type { OperatorSession } from './sessions';
import { age, escapeHtml as e, flash, header, page } from './views';

export interface RecoveryPage {
  open: { accountId: string; startTime: Date }[];
  /** The account the operator is working on (kept in the session, never in a URL) and its recovery. */
  current?: { accountId: string; status?: RecoveryStatus };
}

const csrf = (s: OperatorSession) => `<input type="hidden" name="csrf" value="${e(s.csrf)}">`;
const needRole = (t: Words, s: OperatorSession) => (s.roles.includes('support:recovery') ? '' : `<p class="note">${e(t.needRole)} support:recovery</p>`);

export function recoveryView(lang: Lang, s: OperatorSession, p: RecoveryPage, now = Date.now()): string {
  const t = words[lang];
  return page(lang, t.recovery, [
    header(t, lang, s),
    '<main id="main">',
    flash(s),
    `<h2>${e(t.recovery)}</h2><p>${e(t.recoveryHint)}</p>`,
    `<form method="post" action="/console/recovery/open">${csrf(s)}<p><label for="recovery-account">${e(t.recoveryAccount)}</label><br><input id="recovery-account" name="accountId" required maxlength="64" autocomplete="off"> <button type="submit">${e(t.recoveryOpen)}</button></p></form>`,
    p.current ? current(t, s, p.current) : '',
    `<h3>${e(t.recoveryOpenList)}</h3>`,
    openList(t, s, p.open, now),
    '</main>',
  ]);
}

function current(t: Words, s: OperatorSession, c: NonNullable<RecoveryPage['current']>): string {
  const st = c.status;
  const facts = st
    ? `<dl><dt>${e(t.state)}</dt><dd id="recovery-state">${e(st.state)}</dd><dt>${e(t.request)}</dt><dd>${e(st.requestId)}</dd>${st.temporaryExpiresAt ? `<dt>${e(t.temporaryUntil)}</dt><dd>${e(st.temporaryExpiresAt.slice(0, 16).replace('T', ' '))} UTC</dd>` : ''}${st.operator ? `<dt>${e(t.operator)}</dt><dd>${e(st.operator.name ?? st.operator.id)}</dd>` : ''}</dl>`
    : `<p>${e(t.recoveryNoneFor)}</p>`;
  const open = st && (st.state === 'awaiting_support' || st.state === 'awaiting_first_login' || st.state === 'validating');
  const start = open
    ? ''
    : `<form class="action" method="post" action="/console/recovery/start"><fieldset><legend>${e(t.recoveryStart)}</legend>${needRole(t, s)}${csrf(s)}<p><button type="submit">${e(t.recoveryStart)}</button></p></fieldset></form>`;
  const enable = st?.state === 'awaiting_support' ? enableForm(t, s, st.requestId) : '';
  return `<section aria-labelledby="recovery-current"><h3 id="recovery-current">${e(t.recoveryAccount)}: ${e(c.accountId)}</h3>${facts}${start}${enable}</section>`;
}

function enableForm(t: Words, s: OperatorSession, requestId: string): string {
  const methods = overrideMethods.map((m) => `<option value="${m}">${e(t.methods[m] ?? m)}</option>`).join('');
  return `<form class="action" method="post" action="/console/recovery/enable"><fieldset><legend>${e(t.recoveryEnable)}</legend>${needRole(t, s)}${csrf(s)}<input type="hidden" name="requestId" value="${e(requestId)}">
<p><label for="recovery-method">${e(t.method)}</label><br><select id="recovery-method" name="method" required>${methods}</select></p>
<p><label for="recovery-evidence">${e(t.evidence)}</label><br><input id="recovery-evidence" name="evidenceRef" required maxlength="200" autocomplete="off"></p>
<p><label for="recovery-phone">${e(t.recoveryNewPhone)}</label><br><input id="recovery-phone" name="newPhone" type="tel" required maxlength="40" autocomplete="off"></p>
<p><label for="recovery-reason">${e(t.why)}</label><br><textarea id="recovery-reason" name="reason" required maxlength="500" rows="2"></textarea></p>
<p><button type="submit">${e(t.submitEnable)}</button></p></fieldset></form>`;
}

function openList(t: Words, s: OperatorSession, rows: RecoveryPage['open'], now: number): string {
  if (rows.length === 0) return `<p>${e(t.recoveryNone)}</p>`;
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${e(r.accountId)}</th><td>${e(age(now - r.startTime.getTime(), t))}</td><td><form class="inline" method="post" action="/console/recovery/open">${csrf(s)}<input type="hidden" name="accountId" value="${e(r.accountId)}"><button type="submit" aria-label="${e(t.recoveryOpen)} ${e(r.accountId)}">${e(t.recoveryOpen)}</button></form></td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th scope="col">${e(t.recoveryAccount)}</th><th scope="col">${e(t.age)}</th><th scope="col"><span class="skip">${e(t.recoveryOpen)}</span></th></tr></thead><tbody>${body}</tbody></table>`;
}
