/**
 * The tasks a backbone-head run can fit (backbone-head-job.ts), by the face set's task. A task not
 * listed is refused by name when a run asks for it.
 */
import type { HeadTasks } from './backbone-head-job';
import { classHeadTask } from './class-head-job';
import { landmarkHeadTask } from './landmark-head-job';

export const HEAD_TASKS: HeadTasks = {
  landmarks: landmarkHeadTask,
  attributes: classHeadTask,
  expression: classHeadTask,
};
