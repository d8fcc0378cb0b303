/** How an operator is named in history entries and notices. */
import type { OperatorRef } from './phone-change.defs';

export function operatorName(operator: OperatorRef): string {
  return operator.name ? `${operator.id} (${operator.name})` : operator.id;
}
