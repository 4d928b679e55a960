/**
 * The project store's label callbacks as pushes to every window or page, the same in Electron and
 * over the bridge: `labels:flushed` (how many saves reached the disk, so the header's labelled
 * count follows) and `labels:changed` (which faces, at which revision, so a window showing an
 * older revision of one reloads it).
 */
import type { ProjectStoreOptions } from '../core/project-store';
import type { EventChannel, EventPayload } from '../shared/ipc-contract';

export type Emit = <E extends EventChannel>(event: E, payload: EventPayload<E>) => void;

export function labelEvents(
  emit: Emit,
): Required<Pick<ProjectStoreOptions, 'onLabelsFlushed' | 'onFacesChanged'>> {
  return {
    onLabelsFlushed: (count) => emit('labels:flushed', { count }),
    onFacesChanged: (faces) => emit('labels:changed', { faces: [...faces] }),
  };
}
