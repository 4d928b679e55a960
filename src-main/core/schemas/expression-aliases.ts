/**
 * The names public expression sets give one expression. FER-2013's class folders say `angry`,
 * `sad`, `surprise`; CK+'s say `anger`, `sadness`, `happy` (or `happiness`); RAF-DB and AffectNet
 * use others again. An attribute set lists each expression once under one name (the built-in
 * `fer7`, `ckplus7`, `rafdb7` and `affectnet8` say anger, contempt, disgust, fear, happy, neutral,
 * sadness, surprise); a class folder or label named by any alias of the same group is that class.
 *
 * | class    | also accepted    |
 * |----------|------------------|
 * | anger    | angry            |
 * | contempt | contemptuous     |
 * | disgust  | disgusted        |
 * | fear     | fearful, afraid  |
 * | happy    | happiness, joy   |
 * | neutral  | neutrality       |
 * | sadness  | sad              |
 * | surprise | surprised        |
 *
 * Names match in any case and with `-` or space for `_`.
 */

/** Each group: the names that mean one expression. */
export const EXPRESSION_ALIASES: readonly (readonly string[])[] = [
  ['anger', 'angry'],
  ['contempt', 'contemptuous'],
  ['disgust', 'disgusted'],
  ['fear', 'fearful', 'afraid'],
  ['happy', 'happiness', 'joy'],
  ['neutral', 'neutrality'],
  ['sadness', 'sad'],
  ['surprise', 'surprised'],
];

const normalise = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const GROUP_OF = new Map<string, readonly string[]>(
  EXPRESSION_ALIASES.flatMap((group) => group.map((name) => [name, group] as const)),
);

/**
 * The class of `classes` that `name` means: itself when listed, else the listed class of its
 * alias group (`angry` → `anger` in fer7); undefined when none is.
 */
export function expressionClass(name: string, classes: readonly string[]): string | undefined {
  if (classes.includes(name)) return name;
  const wanted = normalise(name);
  const exact = classes.find((c) => normalise(c) === wanted);
  if (exact !== undefined) return exact;
  const group = GROUP_OF.get(wanted);
  if (!group) return undefined;
  return classes.find((c) => group.includes(normalise(c)));
}
