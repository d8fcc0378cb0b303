/** SIG-1, SIG-2: the mobile operator's ports (re-exported by ports.ts, where every port is found). */

/** Port: what the mobile operator knows of a number (CAMARA SIM Swap and Number Recycling). */
export interface OperatorApi {
  /** SIG-1: whether the number's SIM changed within the last `maxAgeHours`. */
  simSwapped(phone: string, maxAgeHours: number): Promise<boolean>;
  /** SIG-2: whether the number went to another subscriber after `specifiedDate` (YYYY-MM-DD). */
  numberRecycled(phone: string, specifiedDate: string): Promise<boolean>;
}

export interface OperatorSignals {
  api: OperatorApi;
  /** SIG-1: the SIM-swap window in hours (72 by default). */
  simSwapMaxAgeHours: number;
  /** SIG-1: when the API cannot answer: hold the change for support, or go on and flag it in the history. */
  whenDown: 'hold' | 'proceed_and_flag';
  /** SIG-2: the sweep's pace: numbers per batch, the pause between batches, batches per run (then continue-as-new). */
  sweep: { batchSize: number; pauseMs: number; batchesPerRun: number };
}
