/** What every channel's notice templates share: the kinds of notice and the values their texts may use. */
import type { Language } from '../ports';

/** Every notice the change sends; each channel's template file has a text of each. */
export const noticeKinds = [
  'requested',
  'wrong_code',
  'identity_mismatch',
  'frequent_change',
  'old_number_lost',
  'sim_swap',
  'sim_swap_unverified',
  'support_override',
  'rejected',
  'cancelled',
  'completed',
  'completed_old',
  'reverted',
  'failed',
  'expired',
] as const;
export type NoticeKind = (typeof noticeKinds)[number];

export interface NoticeParams {
  requestId: string;
  /** When it happened, already formatted for the reader. */
  when?: string;
  journalUrl?: string;
  /** SEC-3: the single-use "this wasn't me" link. */
  rejectUrl?: string;
  newPhoneMasked?: string;
}

/** One channel's texts of every notice kind, in every language. */
export type Catalogue<T> = Record<Language, Record<NoticeKind, (p: NoticeParams) => T>>;
