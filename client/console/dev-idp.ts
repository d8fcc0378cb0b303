/**
 * The local stack's stand-in for the operators' identity provider (development only, never with
 * NODE_ENV=production): a sign-in page where you say who you are and which roles you hold, which
 * posts a login credential to the console, and the minting of action credentials, both signed
 * with the development operator key of temporal-config/dev-operator-keys.ts (the worker trusts
 * its public half).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { importPKCS8, SignJWT, type CryptoKey, type KeyObject } from 'jose';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { z } from 'zod';
import { operatorRoles, type OperatorRole } from '../../workflows/phone-change.defs';
import type { ActionBinding, OperatorIdp } from './sessions';
import { escapeHtml, page } from './views';

export interface DevIdpSettings {
  privateKeyPath: string;
  issuer: string;
  loginAudience: string;
  actionAudience: string;
}

export class DevIdp implements OperatorIdp {
  readonly loginUrl = '/dev-idp/login';
  private key?: Promise<CryptoKey | KeyObject>;
  constructor(private readonly s: DevIdpSettings) {}

  static available(privateKeyPath: string, production: boolean): boolean {
    return !production && existsSync(privateKeyPath);
  }

  private signer(claims: Record<string, unknown>, sub: string, audience: string, ttl: string): Promise<string> {
    this.key ??= importPKCS8(readFileSync(this.s.privateKeyPath, 'utf8'), 'ES256');
    return this.key.then((key) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setSubject(sub).setIssuer(this.s.issuer).setAudience(audience).setJti(randomUUID()).setIssuedAt().setExpirationTime(ttl).sign(key),
    );
  }

  loginCredential(operator: string, roles: OperatorRole[], name?: string): Promise<string> {
    return this.signer({ roles, ...(name ? { name } : {}) }, operator, this.s.loginAudience, '2m');
  }

  mintActionCredential(b: ActionBinding): Promise<string> {
    return this.signer({ roles: b.roles, action: b.action, account_id: b.accountId, request_id: b.requestId, ...(b.name ? { name: b.name } : {}) }, b.operator, this.s.actionAudience, '5m');
  }

  /** GET shows who-are-you; POST answers a page whose form carries the login credential to the console. */
  async routes(app: FastifyInstance): Promise<void> {
    await app.register(formbody, { bodyLimit: 4096 });
    const form = z.strictObject({
      operator: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      name: z.string().max(100).optional(),
      roles: z.union([z.enum(operatorRoles), z.array(z.enum(operatorRoles)).max(operatorRoles.length)]).optional(),
    });
    app.get('/dev-idp/login', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          page('ru', 'Dev IdP', [
            '<h1>Поставщик удостоверений (локальный) / Local identity provider</h1>',
            '<form method="post" action="/dev-idp/login">',
            '<p><label for="operator">Оператор / Operator id</label><br><input id="operator" name="operator" required pattern="[A-Za-z0-9_.\\-]{1,64}" value="op-17"></p>',
            '<p><label for="name">Имя / Name</label><br><input id="name" name="name" maxlength="100"></p>',
            '<fieldset><legend>Роли / Roles</legend>',
            ...operatorRoles.map((r) => `<p><input type="checkbox" id="role-${r}" name="roles" value="${r}" checked> <label for="role-${r}">${r}</label></p>`),
            '</fieldset><p><button type="submit">Выдать удостоверение / Issue credential</button></p></form>',
          ]),
        ),
    );
    app.post('/dev-idp/login', { schema: { hide: true } }, async (req, reply) => {
      const r = form.safeParse(req.body);
      if (!r.success) return reply.code(400).type('text/plain').send('bad sign-in form');
      const roles = r.data.roles === undefined ? [] : Array.isArray(r.data.roles) ? r.data.roles : [r.data.roles];
      const token = await this.loginCredential(r.data.operator, roles, r.data.name || undefined);
      return reply
        .type('text/html; charset=utf-8')
        .send(
          page('ru', 'Dev IdP', [
            '<h1>Удостоверение выдано / Credential issued</h1>',
            '<form method="post" action="/console/login">',
            `<input type="hidden" name="id_token" value="${escapeHtml(token)}">`,
            '<p><button type="submit" autofocus>Продолжить в консоль / Continue to the console</button></p></form>',
          ]),
        );
    });
  }
}
