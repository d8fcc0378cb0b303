/**
 * Input checks for the workflow's start and messages: pure functions returning the typed error
 * for the first problem found, so update validators can reject bad input before it enters history.
 */
import { InvalidInputError, type PhoneChangeError } from './domain/errors';
import { policyProblems } from './domain/policy';
import {
  ACCOUNT_ID_PATTERN,
  authMethods,
  E164_PATTERN,
  HASH_PATTERN,
  overrideMethods,
  REQUEST_ID_PATTERN,
  type OperatorRef,
  type PhoneChangeInput,
  type RejectRequest,
  type SupportOverrideRequest,
} from './phone-change.defs';

const bad = (field: string, message: string) => new InvalidInputError(message, { field });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const text = (v: unknown, max: number) => typeof v === 'string' && v.trim().length > 0 && v.length <= max;

export function inputProblem(input: PhoneChangeInput): PhoneChangeError | undefined {
  if (!isObject(input)) return bad('input', 'input must be an object');
  if (typeof input.accountId !== 'string' || !ACCOUNT_ID_PATTERN.test(input.accountId)) return bad('accountId', 'accountId must be 1-64 letters, digits, - or _');
  if (typeof input.requestId !== 'string' || !REQUEST_ID_PATTERN.test(input.requestId)) return bad('requestId', 'requestId must be 6-64 letters, digits, - or _');
  if (typeof input.newPhone !== 'string' || !E164_PATTERN.test(input.newPhone)) return bad('newPhone', 'newPhone must be in E.164 form, e.g. +79161234567');
  if (!authMethods.includes(input.auth)) return bad('auth', `auth must be one of ${authMethods.join(', ')}`);
  const policy = policyProblems(input.policy);
  if (policy.length > 0) return bad('policy', policy.join('; '));
  return undefined;
}

export function hashProblem(value: unknown, field: string): PhoneChangeError | undefined {
  return typeof value === 'string' && HASH_PATTERN.test(value) ? undefined : bad(field, `${field} must be 64 lowercase hex digits`);
}

export function credentialProblem(credential: unknown): PhoneChangeError | undefined {
  return text(credential, 8192) ? undefined : bad('credential', 'the operator\'s signed credential is required');
}

/** LOST-2: the operator's credential, method, evidence reference and reason are all required. */
export function overrideProblem(req: SupportOverrideRequest): PhoneChangeError | undefined {
  if (!isObject(req)) return bad('request', 'an override request is required');
  const cred = credentialProblem(req.credential);
  if (cred) return cred;
  if (!overrideMethods.includes(req.method)) return bad('method', `method must be one of ${overrideMethods.join(', ')}`);
  if (!text(req.evidenceRef, 200)) return bad('evidenceRef', 'evidenceRef (a reference to the identity evidence) is required');
  if (!text(req.reason, 500)) return bad('reason', 'reason is required');
  return undefined;
}

export function rejectProblem(req: RejectRequest): PhoneChangeError | undefined {
  if (!isObject(req)) return bad('request', 'a reject request is required');
  if (req.by === 'owner') return hashProblem(req.tokenHash, 'tokenHash');
  if (req.by === 'support') return credentialProblem(req.credential) ?? (text(req.reason, 500) ? undefined : bad('reason', 'reason is required'));
  return bad('by', 'by must be "owner" or "support"');
}

export function operatorName(operator: OperatorRef): string {
  return operator.name ? `${operator.id} (${operator.name})` : operator.id;
}
