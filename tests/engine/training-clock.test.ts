import { describe, expect, it } from 'vitest';
import { TrainingClock } from '../../src-main/engine/training-clock';

/** A clock the test moves by hand (milliseconds). */
function manualTime(): { now: () => number; advance: (ms: number) => void } {
  let t = 5_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

/**
 * Ten steps of 16 images, 2 s each; `pauseMs` held at the gate before step 5. Returns the speed
 * reported after the last step, with 40 steps still to go.
 */
async function runSteps(pauseMs: number): Promise<{ perSecond: number; etaSeconds: number }> {
  const time = manualTime();
  const clock = new TrainingClock(time.now);
  for (let step = 0; step < 10; step++) {
    await clock.hold(async () => {
      if (step === 5) time.advance(pauseMs);
    });
    time.advance(2_000);
  }
  return clock.speed(10 * 16, 40 * 16);
}

describe('TrainingClock', () => {
  it('reports the speed and ETA of a run paused for an hour as those of one never paused', async () => {
    const never = await runSteps(0);
    const paused = await runSteps(3_600_000);
    expect(never).toEqual({ perSecond: 8, etaSeconds: 80 });
    expect(paused).toEqual(never);
  });

  it('counts the held time as held even when the wait fails', async () => {
    const time = manualTime();
    const clock = new TrainingClock(time.now);
    time.advance(1_000);
    await expect(
      clock.hold(async () => {
        time.advance(60_000);
        throw new Error('cancelled while paused');
      }),
    ).rejects.toThrow('cancelled while paused');
    expect(clock.workedSeconds()).toBe(1);
  });

  it('reports no speed and no ETA before any time has passed', () => {
    const time = manualTime();
    const clock = new TrainingClock(time.now);
    expect(clock.speed(0, 100)).toEqual({ perSecond: 0, etaSeconds: 0 });
    time.advance(4_000);
    expect(clock.speed(8, 100)).toEqual({ perSecond: 2, etaSeconds: 50 });
    expect(clock.speed(8, -3).etaSeconds).toBe(0);
  });
});
