/**
 * The HTTP API (Fastify 5, zod type provider): the operations of operations.ts under /v1, each
 * behind a service token (service-auth.ts); problem details for every refusal; the OpenAPI 3.1
 * document at /v1/openapi.json and its docs page at /v1/docs; /healthz and /readyz. It holds the
 * Temporal address and the payload keys, like every client, and no proof key (SEC-5).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { PhoneChangeClient } from '../phone-change-client';
import type { RecoveryClient } from '../recovery-client';
import { idempotencyKey } from '../update-ids';
import { z } from 'zod';
import { operations } from './operations';
import { ApiError, problemFrom, problemSchema, PROBLEM_CONTENT_TYPE, sendProblem } from './problem';
import { requireScope, ServiceAuth, type ServiceAuthSettings } from './service-auth';
import { InvalidInputError } from '../../workflows/domain/errors';

export interface ApiDeps {
  client: PhoneChangeClient;
  /** REC-1, REC-2: holds the worker's public password key, to seal passwords. */
  recovery: RecoveryClient;
  temporal: Client;
  serviceAuth: ServiceAuthSettings;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Temporal and NATS reachable. */
  ready(): Promise<boolean>;
  logger?: Logger;
  /** Adds more routes (the support console) to the same server. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

export const API_VERSION = '1.1.0';

/** Issue 15, point 5: one key per message; a retry with it reattaches to the first update (client/update-ids.ts). */
const keyHeader = z.looseObject({ 'idempotency-key': idempotencyKey.optional() });

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: deps.bodyLimit, logger: false, return503OnClosing: true, routerOptions: { maxParamLength: 100 } }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text body would otherwise reach the validators as a string.
  app.removeContentTypeParser('text/plain');
  // Responses are documented (and checked by the contract test), not re-validated on the way out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installProblems(app, deps.logger);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'phone-change API',
        version: API_VERSION,
        description: "Phone-number changes of citizens' accounts: the client library's actions over HTTP. Every refusal is RFC 9457 problem details whose `error` names the typed error.",
      },
      components: {
        securitySchemes: {
          serviceToken: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: "A short-lived JWT signed by the calling service's key: sub, aud, iss, iat, exp, scope ('changes', 'support')",
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/v1/docs' });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const auth = new ServiceAuth(deps.serviceAuth);
  for (const op of operations) {
    const problems = Object.fromEntries(
      [400, 401, 403, ...(op.body ? [413, 415] : []), ...op.errors].map((s) => [s, { description: 'problem details', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } }]),
    );
    app.route({
      method: op.method,
      url: op.url,
      schema: {
        operationId: op.operationId,
        summary: op.summary,
        tags: [op.scope],
        security: [{ serviceToken: [] }],
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { querystring: op.query } : {}),
        ...(op.body ? { body: op.body } : {}),
        ...(op.keyed ? { headers: keyHeader } : {}),
        response: { [op.status]: { description: 'done', content: { 'application/json': { schema: op.response } } }, ...problems },
      },
      // Before the body is read: no token, no parsing.
      onRequest: async (req) => requireScope(await auth.verify(req.headers.authorization), op.scope),
      handler: async (req, reply) => {
        const out = await op.run({
          client: deps.client,
          recovery: deps.recovery,
          temporal: deps.temporal,
          idempotencyKey: op.keyed ? (req.headers['idempotency-key'] as string | undefined) : undefined,
          params: (req.params ?? {}) as Record<string, string>,
          query: (req.query ?? {}) as Record<string, unknown>,
          body: (req.body ?? {}) as Record<string, unknown>,
        });
        return reply.code(op.status).header('cache-control', 'no-store').send(out);
      },
    });
  }

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await deps.ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready' });
  });
  // Each in a context of its own: the console's form and cookie parsers never reach /v1.
  for (const plugin of deps.plugins ?? []) await app.register(async (child) => plugin(child));
  return app;
}

/** Every refusal as problem details; one log line per request with the route pattern, never the URL or body. */
function installProblems(app: FastifyInstance, logger?: Logger): void {
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    logger?.info({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setNotFoundHandler((_req, reply) => sendProblem(reply, problemFrom(new ApiError('NotFound', 404, 'no such resource'))));
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply) => {
    const p = problemFrom(fromFastifyError(err, req));
    if (p.status >= 500) logger?.error({ route: req.routeOptions.url, err: err.message }, 'request failed');
    return sendProblem(reply, p);
  });
}

function fromFastifyError(err: FastifyError, req: FastifyRequest): unknown {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issue = err.validation[0]!;
    const where = (err as { validationContext?: string }).validationContext ?? 'body';
    const keys = (issue.params as { keys?: string[] }).keys;
    const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (issue.keyword === 'unrecognized_keys' && keys?.length) {
      // A key is caller text too: named back only when it looks like a field name (never a phone, an e-mail).
      const key = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/.test(keys[0]!) ? keys[0]! : undefined;
      return new InvalidInputError(key ? `unknown field "${key}"` : 'an unknown field', { field: key ?? 'request' });
    }
    return new InvalidInputError(issue.message ?? 'invalid input', { field: path || (where === 'body' ? 'request' : where) });
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return new ApiError('PayloadTooLarge', 413, 'the request body is too large', { field: 'request' });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415) return new ApiError('UnsupportedMediaType', 415, 'send application/json', { field: 'content-type' });
  if (err.statusCode === 405) return new ApiError('MethodNotAllowed', 405, 'method not allowed');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500 && !(err instanceof ApiError)) {
    void req;
    return new InvalidInputError('the request body is not valid JSON', { field: 'request' });
  }
  return err;
}
