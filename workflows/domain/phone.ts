import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { InvalidInputError } from './errors';

const MOBILE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * PRE-2: validates a number typed by a citizen and returns it in E.164. Numbers without a country
 * code are read as Russian (the portal's default). Throws InvalidInputError naming `field`.
 */
export function normalizePhone(raw: unknown, field = 'newPhone', defaultCountry: 'RU' = 'RU'): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new InvalidInputError(`${field} is required`, { field, reason: 'missing' });
  }
  if (raw.length > 32 || /[^\d\s()+\-.]/.test(raw)) {
    throw new InvalidInputError(`${field} may contain only digits, spaces, +, -, ( ) and .`, { field, reason: 'characters' });
  }
  const parsed = parsePhoneNumberFromString(raw, defaultCountry);
  if (!parsed || !parsed.isPossible()) {
    throw new InvalidInputError(`${field} is not a possible phone number (country and operator code needed)`, { field, reason: 'not_possible' });
  }
  if (!parsed.isValid()) {
    throw new InvalidInputError(`${field} is not a valid number for its country and operator code`, { field, reason: 'not_valid' });
  }
  const type = parsed.getType();
  if (!type || !MOBILE_TYPES.has(type)) {
    throw new InvalidInputError(`${field} is not in a mobile range (codes go by SMS)`, { field, reason: 'not_mobile' });
  }
  return parsed.number;
}
