/**
 * The schema files that ship with the studio, by id. One list for the core (builtin.ts validates
 * them on first use) and the renderer (the home view offers their names), so a schema added here
 * shows up in both. The JSON is imported, not read at run time, so every bundle inlines it.
 */
import affectnet8 from '../../resources/schemas/attributes.affectnet8.json' with { type: 'json' };
import celeba40 from '../../resources/schemas/attributes.celeba40.json' with { type: 'json' };
import ckplus7 from '../../resources/schemas/attributes.ckplus7.json' with { type: 'json' };
import fer7 from '../../resources/schemas/attributes.fer7.json' with { type: 'json' };
import mtfl from '../../resources/schemas/attributes.mtfl.json' with { type: 'json' };
import rafdb7 from '../../resources/schemas/attributes.rafdb7.json' with { type: 'json' };
import five from '../../resources/schemas/landmarks.five.json' with { type: 'json' };
import ibug68 from '../../resources/schemas/landmarks.ibug68.json' with { type: 'json' };
import wflw98 from '../../resources/schemas/landmarks.wflw98.json' with { type: 'json' };

/** What every schema file has on top of its points or attributes; not validated here. */
export interface SchemaFileHeader {
  id: string;
  name: string;
  description?: string;
}

/** In the order the home view offers them; the first is the default. */
export const LANDMARK_SCHEMA_FILES: Readonly<Record<string, SchemaFileHeader>> = {
  ibug68,
  wflw98,
  five,
};

export const ATTRIBUTE_SCHEMA_FILES: Readonly<Record<string, SchemaFileHeader>> = {
  mtfl,
  celeba40,
  ckplus7,
  fer7,
  rafdb7,
  affectnet8,
};

export interface SchemaChoice {
  id: string;
  label: string;
}

/** Id and readable name of each file, in the order above. */
export function schemaChoices(files: Readonly<Record<string, SchemaFileHeader>>): SchemaChoice[] {
  return Object.entries(files).map(([id, file]) => ({ id, label: file.name }));
}
