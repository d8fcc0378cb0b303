/**
 * REC-2 in the console (/console/recovery): an operator with the role `support:recovery` opens a
 * support recovery for an account and, documents checked, enables login. The account being worked
 * on is kept in the session (never in a URL); every action is a POST with the session's CSRF token
 * and gets a credential of its own from the identity provider, bound to the account, the recovery
 * and the action (SEC-6), which the worker verifies and spends, as the change forms do.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RecoveryClient } from '../recovery-client';
import { PhoneChangeError } from '../../workflows/domain/errors';
import { fields } from '../../workflows/domain/schemas';
import { words, type Lang } from './i18n';
import type { OperatorIdp, OperatorSession } from './sessions';
import { recoveryView } from './recovery-views';

/** What the console's plugin lends these routes: its page writer, its guard and the language. */
export interface ConsoleKit {
  html(reply: FastifyReply, body: string, code?: number): FastifyReply;
  guard(req: FastifyRequest, reply: FastifyReply, form?: Record<string, unknown>): OperatorSession | undefined;
  langOf(req: FastifyRequest): Lang;
}

const csrf = z.string().max(100);
const forms = {
  open: z.strictObject({ csrf, accountId: z.string().trim().pipe(fields.accountId) }),
  start: z.strictObject({ csrf }),
  enable: z.strictObject({
    csrf,
    requestId: fields.requestId,
    method: fields.method,
    evidenceRef: fields.evidenceRef,
    reason: fields.reason,
    newPhone: z.string('newPhone must be text').min(1, 'newPhone is required').max(40, 'newPhone is too long'),
  }),
};
const ROLE = 'support:recovery';

export function recoveryRoutes(app: FastifyInstance, k: ConsoleKit, rc: RecoveryClient, idp?: OperatorIdp): void {
  const hide = { schema: { hide: true } };
  const back = (reply: FastifyReply) => reply.code(303).header('location', '/console/recovery').send();
  /** The signed-in operator holding the role, with the form parsed; otherwise a flash and undefined. */
  const acting = <T extends z.ZodType>(req: FastifyRequest, reply: FastifyReply, form: T): { s: OperatorSession; f: z.output<T> } | undefined => {
    const s = k.guard(req, reply, (req.body ?? {}) as Record<string, unknown>);
    if (!s) return undefined;
    const t = words[k.langOf(req)];
    if (!s.roles.includes(ROLE)) {
      s.flash = { ok: false, text: `${t.refusedRole} ${ROLE}` };
      return void back(reply);
    }
    const f = form.safeParse(req.body);
    if (!f.success) {
      s.flash = { ok: false, text: `${t.refused}: ${f.error.issues[0]?.message ?? 'invalid form'}` };
      return void back(reply);
    }
    return { s, f: f.data };
  };
  const attempt = async (req: FastifyRequest, s: OperatorSession, act: () => Promise<{ state: string }>) => {
    const t = words[k.langOf(req)];
    try {
      s.flash = { ok: true, text: `${t.done} ${(await act()).state}` };
    } catch (err) {
      if (!(err instanceof PhoneChangeError)) throw err;
      s.flash = { ok: false, text: `${t.refused}: ${err.name}: ${err.message}` };
    }
  };

  app.get('/console/recovery', hide, async (req, reply) => {
    const s = k.guard(req, reply);
    if (!s) return reply;
    const account = s.recoveryAccount;
    const current = account ? { accountId: account, status: await rc.supportRecoveryStatus(account).catch(() => undefined) } : undefined;
    return k.html(reply, recoveryView(k.langOf(req), s, { open: await rc.openSupportRecoveries(100), current }));
  });
  // Looking an account up needs no role; acting on it does.
  app.post('/console/recovery/open', hide, async (req, reply) => {
    const s = k.guard(req, reply, (req.body ?? {}) as Record<string, unknown>);
    if (!s) return reply;
    const f = forms.open.safeParse(req.body);
    if (f.success) s.recoveryAccount = f.data.accountId;
    else s.flash = { ok: false, text: `${words[k.langOf(req)].refused}: ${f.error.issues[0]?.message ?? 'invalid form'}` };
    return back(reply);
  });
  app.post('/console/recovery/start', hide, async (req, reply) => {
    const a = acting(req, reply, forms.start);
    if (!a) return reply;
    const account = a.s.recoveryAccount;
    if (account) await attempt(req, a.s, () => rc.startSupportRecovery(account));
    return back(reply);
  });
  app.post('/console/recovery/enable', hide, async (req, reply) => {
    const a = acting(req, reply, forms.enable);
    if (!a) return reply;
    const { s, f } = a;
    const t = words[k.langOf(req)];
    const account = s.recoveryAccount;
    const open = account ? await rc.supportRecoveryStatus(account).catch(() => undefined) : undefined;
    if (!account || !open || open.requestId !== f.requestId) s.flash = { ok: false, text: `${t.refused}: ${t.recoveryNoneFor}` };
    else if (!idp) s.flash = { ok: false, text: t.noIdp };
    else {
      const credential = await idp.mintActionCredential({ operator: s.operator, name: s.name, roles: s.roles, accountId: account, requestId: f.requestId, action: ROLE, subjectToken: s.subjectToken });
      await attempt(req, s, () => rc.enableLogin(account, { credential, method: f.method, evidenceRef: f.evidenceRef, reason: f.reason, newPhone: f.newPhone }));
    }
    return back(reply);
  });
}
