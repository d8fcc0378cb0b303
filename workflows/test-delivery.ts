/**
 * AFTER-2: a test code to the account's current number, to check that codes now arrive there.
 * The citizen types it back; the worker judges it (SEC-5); wrong entries are limited like a
 * change's codes and told by push. The result (confirmed or not) is returned and recorded.
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { messaging as acts, proofs, registry } from './activity-proxies';
import { CodesExhaustedError, InvalidInputError } from './domain/errors';
import { maskPhone } from './domain/mask';
import { entryKey } from './entry-key';
import { parse, schemas } from './domain/schemas';
import { failureFromActivity, parseOrRefuse, toFailure } from './failures';
import { confirmTestCodeUpdate, type TestDeliveryInput, type TestDeliveryResult } from './after-change.defs';
import type { Contacts } from '../activities';

export async function testDelivery(input: TestDeliveryInput): Promise<TestDeliveryResult> {
  /** The citizen may type the code before its send is recorded: an entry waits for the send. */
  let sending = true;
  let confirmed = false;
  let wrong = 0;
  let maxWrong = Number.POSITIVE_INFINITY; // until the policy is loaded
  let contacts: Contacts | undefined;
  setHandler(
    confirmTestCodeUpdate,
    async (req) => {
      await condition(() => !sending);
      if (!contacts || confirmed || wrong >= maxWrong) throw toFailure(new InvalidInputError('no test code can be confirmed now', { field: 'code' }));
      wrong += 1; // reserved: concurrent guesses cannot exceed the limit
      const { match } = await proofs.verifyCode({ purpose: 'test', seq: 1, code: req.code });
      if (match) {
        wrong -= 1;
        confirmed = true;
      } else {
        await acts.notify({
          accountId: input.accountId,
          requestId: input.requestId,
          kind: 'wrong_code',
          key: entryKey('wrong-test') ?? `wrong-test-${wrong}`,
          language: contacts.language,
          smsTo: [],
          push: true,
          params: { requestId: input.requestId, newPhoneMasked: maskPhone(contacts.phone) },
          at: new Date().toISOString(),
          countWrongEntry: true,
        });
      }
      return { confirmed, attemptsLeft: Math.max(0, maxWrong - wrong) };
    },
    {
      validator: (req, ...extra: unknown[]) => {
        parseOrRefuse(schemas.testCode, req, ...extra);
        if (confirmed) throw toFailure(new InvalidInputError('the test code was already confirmed', { field: 'code' }));
        if (wrong >= maxWrong) throw toFailure(new CodesExhaustedError('too many wrong entries for this test code', { field: 'code' }));
      },
    },
  );

  let ttlMs: number;
  try {
    parse(schemas.testDelivery, input);
    const policy = await proofs.workerPolicy();
    ttlMs = policy.testDeliveryTtlMs;
    maxWrong = policy.maxWrongPerCode;
    contacts = await registry.loadContacts(input.accountId);
    await acts.sendCode({ accountId: input.accountId, requestId: input.requestId, step: 'test', seq: 1, to: contacts.phone, language: contacts.language, ttlMinutes: Math.ceil(ttlMs / 60_000) });
  } catch (err) {
    contacts = undefined;
    return { confirmed: false, failure: failureFromActivity(err) };
  } finally {
    sending = false;
  }
  const phoneMasked = maskPhone(contacts.phone);
  await condition(() => confirmed || wrong >= maxWrong, ttlMs);
  await condition(allHandlersFinished);
  await acts.recordHistory({
    accountId: input.accountId,
    requestId: input.requestId,
    kind: confirmed ? 'test_delivery_confirmed' : 'test_delivery_unconfirmed',
    key: 'test-delivery-result',
    at: new Date().toISOString(),
    text: confirmed ? `test code to ${phoneMasked} confirmed` : `test code to ${phoneMasked} not confirmed`,
  });
  return { confirmed, phoneMasked };
}
