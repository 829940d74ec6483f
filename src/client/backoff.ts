// Reconnect delays: exponential, capped, with jitter so that every client of a restarted server
// does not come back in the same millisecond.

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 500 ms. */
  initialDelayMs: number;
  /** Cap on any delay. Default 30 000 ms. */
  maxDelayMs: number;
  /** Growth per attempt. Default 2. */
  factor: number;
  /** Share of the delay that is random, 0–1: the delay is in `[base·(1−jitter), base]`. Default 0.5. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5 });

/**
 * The delay before retry number `attempt` (1, 2, …). `random` returns a number in [0, 1), as
 * `Math.random` does; inject it to test the bounds. Always within
 * `[min(initial, max)·(1−jitter), max]`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // factor ** exponent may overflow to Infinity for huge attempts; min() still caps it.
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** exponent);
  const jitter = Math.min(1, Math.max(0, options.jitter));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(base * (1 - jitter * r));
}

export function checkBackoff(options: BackoffOptions): BackoffOptions {
  const { initialDelayMs, maxDelayMs, factor, jitter } = options;
  if (!(initialDelayMs >= 0) || !(maxDelayMs >= initialDelayMs) || !(factor >= 1) || !(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`backoff needs 0 ≤ initialDelayMs ≤ maxDelayMs, factor ≥ 1 and 0 ≤ jitter ≤ 1, got ${JSON.stringify(options)}`);
  }
  return options;
}
