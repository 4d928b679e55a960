import { describe, expect, it } from 'vitest';
import {
  cosine,
  learningRate,
  teacherMomentum,
  teacherTemperature,
  weightDecay,
} from '../../../src-main/engine/optim/schedules';

describe('schedules', () => {
  it('cosine runs from start to end through the midpoint', () => {
    expect(cosine(1, 0, 0, 100)).toBeCloseTo(1, 12);
    expect(cosine(1, 0, 50, 100)).toBeCloseTo(0.5, 12);
    expect(cosine(1, 0, 100, 100)).toBeCloseTo(0, 12);
    expect(cosine(1, 0, 150, 100)).toBeCloseTo(0, 12); // clamped past the end
    expect(cosine(1, 0, -20, 100)).toBeCloseTo(1, 12); // and before the start
  });

  it('cosine of a run with no steps is the end value, never NaN', () => {
    expect(cosine(1, 0.25, 0, 0)).toBe(0.25);
    expect(cosine(1, 0.25, 3, 0)).toBe(0.25);
    expect(cosine(1, 0.25, 0, -5)).toBe(0.25);
  });

  it('learning rate without warm-up starts at the peak', () => {
    expect(learningRate(0, 1000, 0, 1e-3, 1e-6)).toBeCloseTo(1e-3, 12);
    expect(learningRate(1000, 1000, 0, 1e-3, 1e-6)).toBeCloseTo(1e-6, 12);
  });

  it('learning rate warms up linearly, peaks at the boundary, then decays to the minimum', () => {
    expect(learningRate(0, 1000, 100, 1e-3, 1e-6)).toBe(0);
    expect(learningRate(50, 1000, 100, 1e-3, 1e-6)).toBeCloseTo(5e-4, 12);
    expect(learningRate(100, 1000, 100, 1e-3, 1e-6)).toBeCloseTo(1e-3, 12);
    expect(learningRate(550, 1000, 100, 1e-3, 1e-6)).toBeCloseTo((1e-3 + 1e-6) / 2, 12);
    expect(learningRate(1000, 1000, 100, 1e-3, 1e-6)).toBeCloseTo(1e-6, 12);
  });

  it('weight decay goes 0.04 → 0.4', () => {
    expect(weightDecay(0, 200)).toBeCloseTo(0.04, 12);
    expect(weightDecay(100, 200)).toBeCloseTo(0.22, 12);
    expect(weightDecay(200, 200)).toBeCloseTo(0.4, 12);
  });

  it('teacher temperature warms 0.04 → 0.07 over the first 30% then stays', () => {
    expect(teacherTemperature(0, 1000)).toBeCloseTo(0.04, 12);
    expect(teacherTemperature(150, 1000)).toBeCloseTo(0.055, 12);
    expect(teacherTemperature(299, 1000)).toBeLessThan(0.07);
    expect(teacherTemperature(300, 1000)).toBe(0.07);
    expect(teacherTemperature(1000, 1000)).toBe(0.07);
  });

  it('teacher temperature of a run too short to warm up is the end value from step 0', () => {
    // 3 steps × 0.3 floors to 0 warm-up steps: no division by zero.
    expect(teacherTemperature(0, 3)).toBe(0.07);
    expect(teacherTemperature(0, 10, 0.04, 0.07, 0.5)).toBe(0.04);
    expect(teacherTemperature(4, 10, 0.04, 0.07, 0.5)).toBeCloseTo(0.064, 12);
    expect(teacherTemperature(5, 10, 0.04, 0.07, 0.5)).toBe(0.07);
  });

  it('teacher momentum goes 0.996 → 1 on a cosine', () => {
    expect(teacherMomentum(0, 100)).toBeCloseTo(0.996, 12);
    expect(teacherMomentum(50, 100)).toBeCloseTo(0.998, 12);
    expect(teacherMomentum(100, 100)).toBeCloseTo(1, 12);
  });
});
