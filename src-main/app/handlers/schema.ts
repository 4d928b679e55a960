/**
 * The schema requests that need no open project: checking a custom landmark schema the user
 * loaded from a file or made in the schema editor, with the same core validator that checks it
 * again when a project is created with it and whenever that project opens.
 */
import type { HandlerTable } from '../dispatch';
import { parseLandmarkSchemaText } from '../../core/schemas/landmark-schema';

export function createSchemaHandlers(): Pick<HandlerTable, 'schema:checkLandmarks'> {
  return {
    'schema:checkLandmarks': async (request) => parseLandmarkSchemaText(request.text, request.file),
  };
}
