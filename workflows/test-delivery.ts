/**
 * AFTER-2: a test code to the account's current number, to check that codes now arrive there.
 * The citizen types it back; the result (confirmed or not) is returned and recorded.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { messaging as acts } from './activity-proxies';
import { InvalidInputError } from './domain/errors';
import { maskPhone } from './domain/mask';
import { sameHash } from './domain/same-hash';
import { hashProblem } from './checks';
import { failureFromActivity, toFailure } from './failures';
import { confirmTestCodeUpdate, type TestDeliveryInput, type TestDeliveryResult } from './after-change.defs';


export async function testDelivery(input: TestDeliveryInput): Promise<TestDeliveryResult> {
  let expected: string | undefined;
  let confirmed = false;
  setHandler(confirmTestCodeUpdate, async ({ codeHash }) => {
    await condition(() => expected !== undefined);
    confirmed ||= sameHash(codeHash, expected);
    return { confirmed };
  }, {
    validator: (req) => {
      const p = hashProblem(req?.codeHash, 'codeHash');
      if (p) throw toFailure(p);
      if (confirmed) throw toFailure(new InvalidInputError('the test code was already confirmed', { field: 'code' }));
    },
  });

  let phoneMasked: string | undefined;
  try {
    const contacts = await acts.loadContacts(input.accountId);
    phoneMasked = maskPhone(contacts.phone);
    const sent = await acts.sendCode({ accountId: input.accountId, requestId: input.requestId, step: 'test', seq: 1, to: contacts.phone, language: contacts.language, ttlMinutes: Math.ceil(input.ttlMs / 60_000) });
    expected = sent.codeHash;
  } catch (err) {
    return { confirmed: false, failure: failureFromActivity(err) };
  }
  await condition(() => confirmed, input.ttlMs);
  await acts.recordHistory({
    accountId: input.accountId,
    requestId: input.requestId,
    kind: confirmed ? 'test_delivery_confirmed' : 'test_delivery_unconfirmed',
    key: 'test-delivery-result',
    at: new Date().toISOString(),
    text: confirmed ? `test code to ${phoneMasked} confirmed` : `test code to ${phoneMasked} not confirmed in time`,
  });
  return { confirmed, phoneMasked };
}
