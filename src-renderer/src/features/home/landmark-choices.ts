/**
 * The schemas offered when creating a project: every built-in schema, under the name its file
 * gives it. Ids are the ones stored in project.json.
 */
import {
  ATTRIBUTE_SCHEMA_FILES,
  LANDMARK_SCHEMA_FILES,
  schemaChoices,
  type SchemaChoice,
} from '$shared/builtin-schema-files';

export const LANDMARK_CHOICES: readonly SchemaChoice[] = schemaChoices(LANDMARK_SCHEMA_FILES);

/**
 * The landmark select's "Custom…" entry: a schema loaded from a file or made in the schema
 * editor. Not a valid schema id, so it cannot be taken for a built-in one.
 */
export const CUSTOM_LANDMARKS: SchemaChoice = { id: ':custom', label: 'Custom…' };

/** `''` stands for "no attribute set" because a <select> value is a string. */
export const ATTRIBUTE_CHOICES: readonly SchemaChoice[] = [
  { id: '', label: 'None' },
  ...schemaChoices(ATTRIBUTE_SCHEMA_FILES),
];
