/**
 * The Models view's handlers: the shelf (models/<id>/card.json), export of a model folder, and
 * delete — refused while a live job reads the model (a run's backbone, a pre-labelling model).
 */
import { deleteModel, exportModel } from '../training/model-files';
import { listModels } from '../training/run-index';
import { StudioError } from '../../shared/errors';
import type { HandlerTable } from '../dispatch';
import { absoluteFolder } from '../../core/user-path';
import type { StudioContext } from './studio-context';

type ModelsChannel = 'models:list' | 'models:export' | 'models:delete';

export function createModelHandlers(ctx: StudioContext): Pick<HandlerTable, ModelsChannel> {
  return {
    'models:list': async () => (await listModels(ctx.session.require().dir)).models,
    'models:export': async (request) =>
      exportModel(
        ctx.session.require().dir,
        request.modelId,
        absoluteFolder(request.outDir, 'The export folder'),
        request.format,
      ),
    'models:delete': async (request) => {
      const dir = ctx.session.require().dir;
      if (ctx.training.modelInUse(dir, request.modelId)) {
        throw new StudioError(
          'conflict',
          `Model ${request.modelId} is in use by a running job; cancel it or wait for it to end`,
        );
      }
      return { deleted: await deleteModel(dir, request.modelId) };
    },
  };
}
