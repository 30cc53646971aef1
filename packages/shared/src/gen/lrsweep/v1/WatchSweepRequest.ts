// Original file: ../../proto/lrsweep/v1/sweep.proto


export interface WatchSweepRequest {
  'sweepId'?: (string);
  /**
   * No `loss` events (one per loss report of every trial: thousands a second on a large sweep);
   * every other event still comes. For clients that want the decisions and the outcome only.
   */
  'omitLosses'?: (boolean);
}

export interface WatchSweepRequest__Output {
  'sweepId': (string);
  /**
   * No `loss` events (one per loss report of every trial: thousands a second on a large sweep);
   * every other event still comes. For clients that want the decisions and the outcome only.
   */
  'omitLosses': (boolean);
}
