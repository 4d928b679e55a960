/**
 * The teacher as an exponential moving average of the student (DESIGN §4), on flat parameter
 * arrays: teacher ← m·teacher + (1 − m)·student, one fused pass in place.
 */
export function emaUpdate(
  teacher: Float32Array,
  student: Float32Array,
  momentum: number,
  from = 0,
  to = teacher.length,
): void {
  const a = 1 - momentum;
  for (let i = from; i < to; i++) teacher[i] = momentum * teacher[i]! + a * student[i]!;
}
