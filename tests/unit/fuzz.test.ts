/**
 * Property-based tests (fast-check): thousands of random and malformed values at the pure entry
 * points and at the CLI's argument parsing. Every one gets a typed error naming what was wrong,
 * and nothing reaches Temporal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { Client } from '@temporalio/client';
import { normalizePhone } from '../../workflows/domain/phone';
import { InvalidInputError, PhoneChangeError } from '../../workflows/domain/errors';
import { E164_PATTERN } from '../../workflows/phone-change.defs';
import { parse, schemas } from '../../workflows/domain/schemas';
import { buildProgram, type Session } from '../../client/cli';
import { PhoneChangeClient } from '../../client/phone-change-client';

const RUNS = 2000;
const junk = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.object(), fc.array(fc.anything()));

describe('fuzzing the pure entry points', () => {
  it('PRE-2: any string is either a valid E.164 mobile number or an InvalidInputError naming newPhone', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/), junk), (raw) => {
        try {
          expect(normalizePhone(raw, 'newPhone')).toMatch(E164_PATTERN);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidInputError);
          expect((err as InvalidInputError).field).toBe('newPhone');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('hole 14: every message schema answers junk with an InvalidInputError naming a field', () => {
    const problem = (schema: Parameters<typeof parse>[0], v: unknown) => {
      try {
        parse(schema, v);
        return undefined;
      } catch (err) {
        return err;
      }
    };
    fc.assert(
      fc.property(junk, fc.record({ accountId: junk, requestId: junk, newPhone: junk, auth: junk, policy: junk }, { requiredKeys: [] }), (a, b) => {
        for (const v of [a, b]) {
          for (const schema of Object.values(schemas)) {
            const err = problem(schema, v);
            if (err === undefined) continue;
            expect(err).toBeInstanceOf(InvalidInputError);
            expect(typeof (err as InvalidInputError).field).toBe('string');
          }
        }
        expect(problem(schemas.input, b)).toBeInstanceOf(InvalidInputError); // junk never passes as a start
      }),
      { numRuns: RUNS },
    );
  });

  it('SEC-7 (attack: padding): a text field is measured as sent, not after trimming; the handlers keep what was sent, so spaces past the limit are refused', () => {
    const override = { credential: 'a.b.c', method: 'video_verification', evidenceRef: 'E', reason: 'lost SIM' };
    const field = (value: unknown) => {
      try {
        parse(schemas.override, value);
        return 'accepted';
      } catch (err) {
        return err instanceof InvalidInputError ? err.details.field : String(err);
      }
    };
    expect(field({ ...override, reason: 'lost SIM' + ' '.repeat(300_000) })).toBe('reason');
    expect(field({ ...override, evidenceRef: 'E' + '\u3000'.repeat(100_000) })).toBe('evidenceRef');
    expect(field({ ...override, reason: '  lost SIM  ' })).toBe('accepted');
    expect(field({ ...override, reason: '   ' })).toBe('reason');
  });

  it("SEC-7 hole 4: a start carrying a policy is refused (policy is the worker's)", () => {
    const err = (() => {
      try {
        parse(schemas.input, { accountId: 'a', requestId: 'REQ123456', newPhone: '+79161234567', auth: 'two_factor', policy: { identityCheck: false } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('policy');
  });
});

describe('fuzzing the CLI arguments (in-process, no servers)', () => {
  /** A session whose Temporal client records every call: none may happen for malformed input. */
  function session(calls: string[]): Session {
    const spy = new Proxy(
      {},
      {
        get:
          (_t, prop) =>
          (...args: unknown[]) => (calls.push(String(prop)), Promise.reject(new Error(`reached Temporal: ${String(prop)} ${JSON.stringify(args).slice(0, 80)}`))),
      },
    );
    const client = new PhoneChangeClient({ client: { workflow: spy } as unknown as Client });
    return { client, config: {} as never, nc: {} as never, recovery: {} as never, temporal: {} as never, close: async () => undefined };
  }

  const badAccount = fc.oneof(
    fc.constant(''),
    fc.string({ minLength: 65, maxLength: 80 }),
    fc.string().filter((s) => /[^A-Za-z0-9_-]/.test(s) && !s.startsWith('-')),
  );
  const badCode = fc.string().filter((s) => !/^\s*\d{6}\s*$/.test(s) && !s.startsWith('-'));
  const badPhone = fc.string().filter(
    (s) =>
      !s.startsWith('-') &&
      (() => {
        try {
          normalizePhone(s);
          return false;
        } catch {
          return true;
        }
      })(),
  );
  const goodAccount = fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/);
  const argv = fc.oneof(
    fc.tuple(badAccount, fc.string()).map(([a, p]) => ['start', '--account', a, '--phone', p]),
    fc.tuple(goodAccount, badPhone).map(([a, p]) => ['start', '--account', a, '--phone', p]),
    fc.tuple(goodAccount, badCode, fc.constantFrom('old', 'new')).map(([a, c, st]) => ['code', c, '--account', a, '--step', st]),
    fc.tuple(goodAccount, fc.string()).map(([a, st]) => ['code', '123456', '--account', a, '--step', st]),
    fc.tuple(badAccount).map(([a]) => ['status', '--account', a]),
    fc.tuple(goodAccount, fc.string(), fc.string()).map(([a, n, p]) => ['identity', '--account', a, '--token', 'short', '--name', n, '--passport', p]),
    fc.tuple(goodAccount, fc.string(), fc.string()).map(([a, m, e]) => ['support', 'override', '--account', a, '--credential', 'x', '--method', m, '--evidence', e, '--reason', 'r']),
    fc.array(fc.string(), { maxLength: 6 }),
  );

  it('every malformed command line is refused by the parser or with a typed error, and nothing reaches Temporal', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const calls: string[] = [];
        const program = buildProgram(
          async () => session(calls),
          () => undefined,
        );
        program.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
        for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
        for (const c of program.commands.flatMap((c) => c.commands)) c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
        const err = await program.parseAsync(args, { from: 'user' }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err instanceof CommanderError) return; // usage error, with commander's message
        if (err instanceof PhoneChangeError) {
          expect(calls).toEqual([]);
          return;
        }
        // Anything else must be a call the input was valid for: refused by our spy, never a crash.
        expect(err === undefined || (err instanceof Error && err.message.startsWith('reached Temporal'))).toBe(true);
        if (calls.length > 0) expect(args[0]).not.toBe('code'); // a malformed code never reaches Temporal
      }),
      { numRuns: RUNS },
    );
  });
});
