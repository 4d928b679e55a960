/** Attribute sets: validation of built-in and custom sets (unique attribute and class names). */
import { AttributeSchema } from '../../shared/schemas';
import { ProblemList } from '../problems';
import { addZodIssues } from './landmark-schema';

function duplicates(names: readonly string[]): string[] {
  return names.filter((name, i) => names.indexOf(name) !== i);
}

export function parseAttributeSchema(raw: unknown, file: string): AttributeSchema {
  const problems = new ProblemList();
  const parsed = AttributeSchema.safeParse(raw);
  if (!parsed.success) addZodIssues(problems, file, parsed.error);
  else {
    const set = parsed.data;
    for (const name of duplicates(set.attributes.map((a) => a.name))) {
      problems.add(file, undefined, `attributes: duplicate name "${name}"`);
    }
    set.attributes.forEach((a, i) => {
      if (a.kind !== 'class') return;
      for (const name of duplicates(a.classes)) {
        problems.add(file, undefined, `attributes[${i}].classes: duplicate class "${name}"`);
      }
    });
    for (const name of duplicates(set.expressions ?? [])) {
      problems.add(file, undefined, `expressions: duplicate class "${name}"`);
    }
    if (set.attributes.length === 0 && set.expressions === null) {
      problems.add(file, undefined, 'the set has neither attributes nor expressions');
    }
  }
  problems.throwIfAny(`Invalid attribute set ${file}`);
  return parsed.data!;
}
