/**
 * SIG-2: no code or notice goes to a number the operator recycled, for the account that held it:
 * the SMS port is wrapped so a message to an account's `recycledPhone` is dropped (the new
 * subscriber must not receive the former owner's codes or notices). One registry read per SMS.
 */
import type { ContactRegistry, SmsMessage, SmsSender } from '../ports';

export class RecycledNumberGuard implements SmsSender {
  constructor(
    private readonly inner: SmsSender,
    private readonly registry: ContactRegistry,
  ) {}

  async send(message: SmsMessage, dedupId: string): Promise<void> {
    const account = await this.registry.getAccount(message.accountId);
    if (account?.value.recycledPhone === message.to) return;
    await this.inner.send(message, dedupId);
  }
}
