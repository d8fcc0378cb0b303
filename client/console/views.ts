/** Server-rendered pages of the console: plain HTML forms, labels on every field, no scripts. */
import type { ChangeStatus } from '../../workflows/phone-change.defs';
import { overrideMethods, terminalStates, type OperatorRole } from '../../workflows/phone-change.defs';
import type { StoredHistoryEntry } from '../../activities/ports';
import { words, type Lang, type Words } from './i18n';
import type { OperatorSession } from './sessions';

export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

export function page(lang: Lang, title: string, body: string[]): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(title)}</title><link rel="stylesheet" href="/console/style.css"></head><body>${body.join('\n')}</body></html>`;
}

export const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fff}
header,main{padding:1rem 2rem}header{background:#0b3d91;color:#fff;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.2rem;margin:0 auto 0 0}header a,header button{color:#fff}
a{color:#0b3d91}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #d35400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#000;padding:.5rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #555;padding:.4rem .6rem;text-align:left;vertical-align:top}th{background:#e8eef8}
button{font:inherit;padding:.4rem 1rem;background:#0b3d91;color:#fff;border:0;border-radius:3px;cursor:pointer}
header button{background:transparent;border:1px solid #fff}
input,select,textarea{font:inherit;padding:.3rem;border:1px solid #333;min-width:18rem}
form.action{border:1px solid #555;padding:1rem;margin:1rem 0;max-width:40rem}
.flash{padding:.6rem 1rem;border-left:6px solid #1a7f37;background:#e9f6ec}.flash.bad{border-color:#b00020;background:#fdecee}
.note{color:#333}.inline{display:inline}
`;

export function header(t: Words, lang: Lang, s?: OperatorSession): string {
  const who = s
    ? `<span>${e(t.operator)}: ${e(s.name ?? s.operator)} · ${e(t.roles)}: ${e(s.roles.join(', ') || '—')} · ${e(t.sessionEnds)} ${e(new Date(s.expiresAt).toISOString().slice(11, 16))} UTC</span>
<form class="inline" method="post" action="/console/logout"><input type="hidden" name="csrf" value="${e(s.csrf)}"><button type="submit">${e(t.logout)}</button></form>`
    : '';
  const nav = s ? `<nav><a href="/console">${e(t.queueNav)}</a> · <a href="/console/recovery">${e(t.recovery)}</a></nav>` : '';
  return `<a class="skip" href="#main">${e(t.skip)}</a><header><h1>${e(t.title)}</h1>${nav}${who}
<form class="inline" method="post" action="/console/lang"><input type="hidden" name="lang" value="${lang === 'ru' ? 'en' : 'ru'}"><button type="submit" lang="${lang === 'ru' ? 'en' : 'ru'}">${e(t.language)}</button></form></header>`;
}

export function flash(s?: OperatorSession): string {
  const f = s?.flash;
  if (!f) return '';
  s.flash = undefined;
  return `<p class="flash${f.ok ? '' : ' bad'}" role="${f.ok ? 'status' : 'alert'}">${e(f.text)}</p>`;
}

export function loginView(lang: Lang, loginUrl: string | undefined, error?: string): string {
  const t = words[lang];
  return page(lang, t.login, [
    header(t, lang),
    `<main id="main"><h2>${e(t.login)}</h2><p>${e(t.loginHint)}</p>`,
    error ? `<p class="flash bad" role="alert">${e(error)}</p>` : '',
    loginUrl ? `<p><a href="${e(loginUrl)}">${e(t.loginButton)}</a></p>` : `<p>${e(t.noIdp)}</p>`,
    '</main>',
  ]);
}

export interface QueueRow {
  requestId: string;
  startedAt: string;
  reason?: string;
  deadline?: string;
  newPhoneMasked?: string;
}

export function queueView(lang: Lang, s: OperatorSession, rows: QueueRow[], now = Date.now()): string {
  const t = words[lang];
  const body = rows.length
    ? `<table><caption class="skip">${e(t.queue)}</caption><thead><tr><th scope="col">${e(t.request)}</th><th scope="col">${e(t.reason)}</th><th scope="col">${e(t.age)}</th><th scope="col">${e(t.deadline)}</th><th scope="col">${e(t.newPhone)}</th></tr></thead><tbody>${rows
        .map(
          (r) =>
            `<tr><th scope="row"><a href="/console/changes/${e(r.requestId)}">${e(r.requestId)}</a></th><td>${e(t.reasons[r.reason ?? ''] ?? r.reason ?? '—')}</td><td>${e(age(now - Date.parse(r.startedAt), t))}</td><td>${r.deadline ? `<time datetime="${e(r.deadline)}">${e(r.deadline.slice(0, 16).replace('T', ' '))} UTC</time>` : '—'}</td><td>${e(r.newPhoneMasked ?? '—')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : `<p>${e(t.queueEmpty)}</p>`;
  return page(lang, t.queue, [header(t, lang, s), '<main id="main">', flash(s), `<h2>${e(t.queue)}</h2>`, body, searchForm(t, s), '</main>']);
}

function searchForm(t: Words, s: OperatorSession): string {
  return `<form method="post" action="/console/search" role="search"><input type="hidden" name="csrf" value="${e(s.csrf)}"><p><label for="search-request">${e(t.search)}</label><br><input id="search-request" name="requestId" required maxlength="64" autocomplete="off"> <button type="submit">${e(t.searchButton)}</button></p></form>`;
}

export function notFoundView(lang: Lang, s: OperatorSession): string {
  const t = words[lang];
  return page(lang, t.notFound, [
    header(t, lang, s),
    '<main id="main">',
    `<p class="flash bad" role="alert">${e(t.notFound)}</p>`,
    searchForm(t, s),
    `<p><a href="/console">${e(t.back)}</a></p></main>`,
  ]);
}

export function changeView(lang: Lang, s: OperatorSession, st: ChangeStatus, history: StoredHistoryEntry[]): string {
  const t = words[lang];
  const steps = st.steps
    ? `<h3>${e(t.steps)}</h3><table><thead><tr><th scope="col">${e(t.step)}</th><th scope="col">${e(t.confirmed)}</th><th scope="col">${e(t.codesSent)}</th></tr></thead><tbody>${(
        ['old', 'new'] as const
      )
        .map((k) => `<tr><th scope="row">${k === 'old' ? e(t.oldPhone) : e(t.newPhone)}</th><td>${st.steps![k].confirmed ? e(t.yes) : e(t.no)}</td><td>${st.steps![k].codesSent}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const hist = history.length
    ? `<table><thead><tr><th scope="col">#</th><th scope="col">UTC</th><th scope="col">${e(t.event)}</th><th scope="col">${e(t.request)}</th><th scope="col">${e(t.text)}</th></tr></thead><tbody>${history
        .map(
          (h) => `<tr><td>${h.seq}</td><td>${e(h.at.slice(0, 19).replace('T', ' '))}</td><td>${e(h.kind)}</td><td>${e(h.requestId)}</td><td>${e(h.text)}${h.actor ? ` (${e(h.actor)})` : ''}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : `<p>${e(t.historyEmpty)}</p>`;
  return page(lang, `${t.change} ${st.requestId}`, [
    header(t, lang, s),
    '<main id="main">',
    flash(s),
    `<p><a href="/console">${e(t.back)}</a></p><h2>${e(t.change)} ${e(st.requestId)}</h2>`,
    `<dl><dt>${e(t.state)}</dt><dd id="change-state">${e(st.state)}</dd><dt>${e(t.reason)}</dt><dd>${e(t.reasons[st.support?.reason ?? ''] ?? '—')}</dd><dt>${e(t.oldPhone)}</dt><dd>${e(st.oldPhoneMasked ?? '—')}</dd><dt>${e(t.newPhone)}</dt><dd>${e(st.newPhoneMasked)}</dd><dt>${e(t.deadline)}</dt><dd>${e(st.deadline ?? '—')}</dd></dl>`,
    steps,
    actions(t, s, st),
    `<h3>${e(t.history)}</h3>`,
    hist,
    '</main>',
  ]);
}

function actions(t: Words, s: OperatorSession, st: ChangeStatus): string {
  const need = (role: OperatorRole) => (s.roles.includes(role) ? '' : `<p class="note">${e(t.needRole)} ${role}</p>`);
  const form = (action: string, role: OperatorRole, legend: string, fields: string, submit: string) =>
    `<form class="action" method="post" action="/console/changes/${e(st.requestId)}/${action}"><fieldset><legend>${e(legend)}</legend>${need(role)}<input type="hidden" name="csrf" value="${e(s.csrf)}">${fields}<p><label for="${action}-reason">${e(t.why)}</label><br><textarea id="${action}-reason" name="reason" required maxlength="500" rows="2"></textarea></p><p><button type="submit">${e(submit)}</button></p></fieldset></form>`;
  const out: string[] = [`<p class="note">${e(t.credentialNote)}</p>`];
  if (st.state === 'awaiting_support') {
    const methods = overrideMethods.map((m) => `<option value="${m}">${e(t.methods[m] ?? m)}</option>`).join('');
    out.push(
      form(
        'override',
        'support:override',
        t.override,
        `<p><label for="override-method">${e(t.method)}</label><br><select id="override-method" name="method" required>${methods}</select></p><p><label for="override-evidence">${e(t.evidence)}</label><br><input id="override-evidence" name="evidenceRef" required maxlength="200" autocomplete="off"></p>`,
        t.submitOverride,
      ),
    );
  }
  if (!terminalStates.has(st.state)) out.push(form('reject', 'support:reject', t.reject, '', t.submitReject));
  if (st.state === 'completed') out.push(form('revert', 'support:revert', t.revert, '', t.submitRevert));
  return out.join('\n');
}

export function age(ms: number, t: Words): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  return m < 60 ? `${m} ${t.minutes}` : `${Math.floor(m / 60)} ${t.hours} ${m % 60} ${t.minutes}`;
}
