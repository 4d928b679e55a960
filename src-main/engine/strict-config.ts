/**
 * How a training config is parsed (pre-training and fine-tuning alike): strictly, an unknown key or
 * a wrong type failing with one error that names each key and its problem.
 */
import type { z } from 'zod';
import { StudioError } from '../shared/errors';

/** `input` parsed by `schema`; nothing counts as `{}` (every default); `what` names the config. */
export function parseStrictConfig<S extends z.ZodTypeAny>(
  schema: S,
  input: unknown,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data as z.infer<S>;
  const problems = result.error.issues.map((issue) => {
    const key =
      [...issue.path.map(String), ...('keys' in issue ? (issue.keys as string[]) : [])].join('.') ||
      '(root)';
    return `${key}: ${issue.message}`;
  });
  throw new StudioError('invalid-payload', `Invalid ${what} — ${problems.join('; ')}`);
}
