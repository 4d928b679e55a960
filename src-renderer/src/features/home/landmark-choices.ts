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

/** `''` stands for "no attribute set" because a <select> value is a string. */
export const ATTRIBUTE_CHOICES: readonly SchemaChoice[] = [
  { id: '', label: 'None' },
  ...schemaChoices(ATTRIBUTE_SCHEMA_FILES),
];
