/**
 * SIG-2: the recycled-number sweep's contract, shared by the worker, the feed and the CLI: its
 * input (a run of the scheduled sweep over every bound number, or the operator feed's list), the
 * progress query and the identifiers of the schedule and the feed.
 */
import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { E164_PATTERN } from './domain/schemas';

export const RECYCLING_SCHEDULE_ID = 'recycling-sweep';
export const RECYCLING_SWEEP_WORKFLOW_ID = 'recycling-sweep';
/** The NATS subject the operator publishes reassigned numbers on (`{ "numbers": ["+7916..."], "reassignedOn"?: "YYYY-MM-DD" }`). */
export const OPERATOR_FEED_SUBJECT = 'operator.numbers.reassigned';
export const FEED_MAX_NUMBERS = 1000;

const phone = z.string().max(16).regex(E164_PATTERN);

/** Strict: a raw start with anything else is refused before any check runs. */
export const sweepInputSchema = z
  .object({
    /** The feed's numbers; absent: every bound number, in key order. */
    numbers: z.array(phone).max(FEED_MAX_NUMBERS).optional(),
    source: z.enum(['sweep', 'feed']).default('sweep'),
    /** Carried across continue-as-new: the last number checked, and counts so far. */
    cursor: phone.optional(),
    progress: z
      .object({ checked: z.number().int().min(0), recycled: z.number().int().min(0), unknown: z.number().int().min(0), runs: z.number().int().min(0) })
      .strict()
      .optional(),
  })
  .strict();

export type SweepInput = z.input<typeof sweepInputSchema>;

export interface SweepProgress {
  source: 'sweep' | 'feed';
  checked: number;
  recycled: number;
  /** No answer from the operator, or no binding date to ask with: checked again next sweep. */
  unknown: number;
  /** Runs so far (continue-as-new starts the next). */
  runs: number;
  cursor?: string;
  done: boolean;
}

export const sweepProgressQuery = defineQuery<SweepProgress>('progress');

export const feedMessageSchema = z
  .object({
    numbers: z.array(phone).min(1).max(FEED_MAX_NUMBERS),
    reassignedOn: z.iso.date().optional(),
  })
  .strict();
