/** How an operator is named in history entries and notices. */
import type { OperatorRef } from './phone-change.defs';

export function operatorName(operator: OperatorRef): string {
  return operator.name ? `${operator.id} (${operator.name})` : operator.id;
}

/**
 * A workflow's start input as an object: anyone who reaches Temporal may start one with anything
 * (SEC-7), and what is not an object reads as an empty one, which the input's checks then refuse,
 * rather than failing the task on `null.accountId`.
 */
export function asInput<T extends object>(raw: T): T {
  return typeof raw === 'object' && raw !== null ? raw : ({} as T);
}
