/**
 * The support console under /console: the queue from Temporal visibility, a change's page, the
 * support actions as forms, search by request id. No personal data in a URL: pages are addressed
 * by request id (an opaque id the citizen reads out), searches and actions are POSTs. Every form
 * carries the session's CSRF token; every action gets a credential of its own from the identity
 * provider, bound to the change and the action (SEC-6), which the worker verifies and spends.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import { z } from 'zod';
import type { PhoneChangeClient } from '../phone-change-client';
import type { RecoveryClient } from '../recovery-client';
import { recoveryRoutes } from './recovery-routes';
import { PhoneChangeError } from '../../workflows/domain/errors';
import { fields } from '../../workflows/domain/schemas';
import type { OperatorRole } from '../../workflows/phone-change.defs';
import { supportQueue } from '../api/operations';
import { langs, words, type Lang } from './i18n';
import { csrfMatches, LoginError, Sessions, type OperatorIdp, type OperatorSession } from './sessions';
import { changeView, loginView, notFoundView, queueView, STYLE } from './views';

export interface ConsoleDeps {
  client: PhoneChangeClient;
  /** REC-2 forms (/console/recovery) when given. */
  recovery?: RecoveryClient;
  sessions: Sessions;
  idp?: OperatorIdp;
  /** Secure cookies (HTTPS) outside development. */
  secureCookies: boolean;
}

const SESSION_COOKIE = 'pc_console';
const LANG_COOKIE = 'pc_lang';
const CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const forms = {
  // `state`: an OIDC provider's form_post (oidc.ts) sends it back with the ID token.
  login: z.strictObject({ id_token: z.string().max(8192), state: z.string().max(100).optional() }),
  lang: z.strictObject({ lang: z.enum(langs) }),
  csrfOnly: z.strictObject({ csrf: z.string().max(100) }),
  search: z.strictObject({ csrf: z.string().max(100), requestId: z.string().trim().max(64) }),
  override: z.strictObject({ csrf: z.string().max(100), method: fields.method, evidenceRef: fields.evidenceRef, reason: fields.reason }),
  reason: z.strictObject({ csrf: z.string().max(100), reason: fields.reason }),
};
const params = z.strictObject({ requestId: fields.requestId });
const actionRole: Record<string, OperatorRole> = { override: 'support:override', reject: 'support:reject', revert: 'support:revert' };

export function consolePlugin(d: ConsoleDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(cookie);
    await app.register(formbody, { bodyLimit: 16_384 });
    const langOf = (req: FastifyRequest): Lang => (req.cookies[LANG_COOKIE] === 'en' ? 'en' : 'ru');
    const html = (reply: FastifyReply, body: string, code = 200) =>
      reply.code(code).header('content-security-policy', CSP).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(body);
    const cookieOpts = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: d.secureCookies };
    const sessionOf = (req: FastifyRequest) => d.sessions.get(req.cookies[SESSION_COOKIE]);
    /** The signed-in operator, or a redirect to sign in; for a POST, also the form's CSRF token. */
    const guard = (req: FastifyRequest, reply: FastifyReply, form?: Record<string, unknown>): OperatorSession | undefined => {
      const s = sessionOf(req);
      if (!s || (form && !csrfMatches(s, form.csrf))) {
        void reply.code(303).header('location', '/console/login').send();
        return undefined;
      }
      return s;
    };
    const hide = { schema: { hide: true } };
    if (d.recovery) recoveryRoutes(app, { html, guard, langOf }, d.recovery, d.idp);

    app.get('/console/style.css', hide, async (_req, reply) => reply.type('text/css').header('cache-control', 'max-age=300').send(STYLE));
    app.get('/console/login', hide, async (req, reply) => html(reply, loginView(langOf(req), d.idp?.loginUrl)));
    app.post('/console/login', hide, async (req, reply) => {
      const f = forms.login.safeParse(req.body);
      try {
        if (!f.success) throw new LoginError('no login credential');
        const s = await d.sessions.login(f.data.id_token, Date.now(), f.data.state);
        return reply
          .setCookie(SESSION_COOKIE, s.id, { ...cookieOpts, maxAge: Math.floor((s.expiresAt - Date.now()) / 1000) })
          .code(303)
          .header('location', '/console')
          .send();
      } catch (err) {
        if (!(err instanceof LoginError)) throw err;
        return html(reply, loginView(langOf(req), d.idp?.loginUrl, err.message), 401);
      }
    });
    app.post('/console/logout', hide, async (req, reply) => {
      d.sessions.end(req.cookies[SESSION_COOKIE]);
      return reply.clearCookie(SESSION_COOKIE, cookieOpts).code(303).header('location', '/console/login').send();
    });
    app.post('/console/lang', hide, async (req, reply) => {
      const f = forms.lang.safeParse(req.body);
      const back = sessionOf(req) ? '/console' : '/console/login';
      if (f.success) reply.setCookie(LANG_COOKIE, f.data.lang, { ...cookieOpts, maxAge: 365 * 86400 });
      return reply.code(303).header('location', back).send();
    });

    app.get('/console', hide, async (req, reply) => {
      const s = guard(req, reply);
      if (!s) return reply;
      return html(reply, queueView(langOf(req), s, await supportQueue(d.client, 200)));
    });
    app.post('/console/search', hide, async (req, reply) => {
      const f = forms.search.safeParse(req.body);
      const s = guard(req, reply, (req.body ?? {}) as Record<string, unknown>);
      if (!s) return reply;
      const id = f.success ? params.safeParse({ requestId: f.data.requestId }) : undefined;
      if (!id?.success) return html(reply, notFoundView(langOf(req), s), 404);
      return reply.code(303).header('location', `/console/changes/${id.data.requestId}`).send();
    });
    app.get('/console/changes/:requestId', hide, async (req, reply) => {
      const s = guard(req, reply);
      if (!s) return reply;
      const p = params.safeParse(req.params);
      const found = p.success ? await d.client.findByRequestId(p.data.requestId) : undefined;
      if (!p.success || !found) return html(reply, notFoundView(langOf(req), s), 404);
      const status = await d.client.status(found.accountId);
      if (status.requestId !== p.data.requestId) return html(reply, notFoundView(langOf(req), s), 404);
      const history = await d.client.history(found.accountId, { limit: 50 });
      return html(reply, changeView(langOf(req), s, status, history));
    });
    app.post('/console/changes/:requestId/:action', hide, async (req, reply) => {
      const s = guard(req, reply, (req.body ?? {}) as Record<string, unknown>);
      if (!s) return reply;
      const { action } = req.params as { action: string };
      const role = actionRole[action];
      const p = params.safeParse({ requestId: (req.params as { requestId: string }).requestId });
      const t = words[langOf(req)];
      if (!role || !p.success) return html(reply, notFoundView(langOf(req), s), 404);
      const back = () => reply.code(303).header('location', `/console/changes/${p.data.requestId}`).send();
      if (!s.roles.includes(role)) {
        s.flash = { ok: false, text: `${t.refusedRole} ${role}` };
        return back();
      }
      const f = (action === 'override' ? forms.override : forms.reason).safeParse(req.body);
      if (!f.success) {
        s.flash = { ok: false, text: `${t.refused}: ${f.error.issues[0]?.message ?? 'invalid form'}` };
        return back();
      }
      const found = await d.client.findByRequestId(p.data.requestId);
      if (!found || !d.idp) {
        s.flash = { ok: false, text: found ? words[langOf(req)].noIdp : t.notFound };
        return back();
      }
      try {
        const credential = await d.idp.mintActionCredential({
          operator: s.operator,
          name: s.name,
          roles: s.roles,
          accountId: found.accountId,
          requestId: p.data.requestId,
          action: role,
          subjectToken: s.subjectToken,
        });
        const form = f.data as { method?: never; evidenceRef?: string; reason: string };
        const ref =
          action === 'override'
            ? await d.client.supportOverride(found.accountId, { credential, method: form.method!, evidenceRef: form.evidenceRef!, reason: form.reason })
            : action === 'reject'
              ? await d.client.rejectBySupport(found.accountId, credential, form.reason)
              : await d.client.revert(found.accountId, p.data.requestId, credential, form.reason);
        s.flash = { ok: true, text: `${t.done} ${ref.state}` };
      } catch (err) {
        if (!(err instanceof PhoneChangeError)) throw err;
        s.flash = { ok: false, text: `${t.refused}: ${err.name}: ${err.message}` };
      }
      return back();
    });
  };
}
