/**
 * The product's metric names (Prometheus, from the worker's endpoint). Shared by the workflow
 * interceptor, the worker's port decorators, the tests and the README's alerting notes.
 */
export const METRIC = {
  started: 'phone_change_started',
  completed: 'phone_change_completed',
  /** Labels: state (completed, refused, expired, failed, rejected, cancelled), reason (failure type, or the state). */
  ended: 'phone_change_ended',
  /** Labels: proof (code_old, code_new, recovery_code, identity, reject_link, support_reject), verdict (accepted, wrong, exhausted, confirmed, mismatch, refused). */
  verdicts: 'phone_change_proof_verdicts',
  /** Histogram (ms). Label: proof. */
  verdictLatency: 'phone_change_proof_verdict_latency',
  /** Label: kind (code_old, code_new, identity_link, requested, completed, ...). */
  smsSent: 'phone_change_sms_sent',
  /** Label: kind (the notice's kind; sms_fallback when a delivery report sent it). */
  mailSent: 'phone_change_mail_sent',
  /** Label: kind. */
  pushSent: 'phone_change_push_sent',
  /** Label: scope (startsPerAccount, startsPerNumber, codesPerNumber, wrongEntriesPerAccount). */
  limitsHit: 'phone_change_limits_hit',
} as const;
