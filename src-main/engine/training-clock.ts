/**
 * The time a job spends working: the time since it started less the time it was held at a pause
 * (the gate before each step). A job's speed (images/s) and time left are worked out on it, so a
 * run paused for an hour shows, once resumed, the speed of one never paused, and its ETA does not
 * take the pause for slowness.
 */
export class TrainingClock {
  readonly #now: () => number;
  readonly #started: number;
  #heldMs = 0;

  /** `now`: milliseconds on a monotonic clock (tests pass their own). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#started = now();
  }

  /** Awaits `wait` (a pause gate); the time it takes is held time, not working time. */
  async hold<T>(wait: () => Promise<T>): Promise<T> {
    const from = this.#now();
    try {
      return await wait();
    } finally {
      this.#heldMs += this.#now() - from;
    }
  }

  /** Seconds worked since the clock started, pauses left out. */
  workedSeconds(): number {
    return Math.max(0, this.#now() - this.#started - this.#heldMs) / 1000;
  }

  /**
   * Items per second over the working time (`done` items so far), and the seconds `left` items
   * take at that rate; both 0 until some time has passed.
   */
  speed(done: number, left: number): { perSecond: number; etaSeconds: number } {
    const seconds = this.workedSeconds();
    const perSecond = seconds > 0 ? done / seconds : 0;
    return { perSecond, etaSeconds: perSecond > 0 ? Math.max(0, left) / perSecond : 0 };
  }
}
