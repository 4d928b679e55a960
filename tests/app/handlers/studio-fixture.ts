/**
 * A studio for handler tests: a real project (5-point schema, three images) open in a session,
 * the real handler table behind `dispatch`, and a fake training process driven by the test.
 * Every pushed event is recorded.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProjectSession } from '../../../src-main/core/project-session';
import { RecentProjects } from '../../../src-main/core/recent-projects';
import { dispatch } from '../../../src-main/app/dispatch';
import { createHandlers } from '../../../src-main/app/handlers';
import type { StudioContext } from '../../../src-main/app/handlers/studio-context';
import { labelEvents } from '../../../src-main/app/label-events';
import { TrainingHost } from '../../../src-main/app/training-host';
import { TrainingRelay } from '../../../src-main/app/training-relay';
import type { ImageRecord } from '../../../src-main/shared/domain';
import type {
  EventChannel,
  EventPayload,
  InvokeChannel,
} from '../../../src-main/shared/ipc-contract';
import { imageRecord } from '../../core/fixtures/project-data';
import { fakeTrainingSpawner, type FakeTrainingProcess } from '../fake-training';

export interface PushedEvent {
  event: EventChannel;
  payload: unknown;
}

export interface TestStudio {
  workDir: string;
  projectDir: string;
  session: ProjectSession;
  images: ImageRecord[];
  events: PushedEvent[];
  processes: FakeTrainingProcess[];
  relay: TrainingRelay;
  invoke(channel: InvokeChannel, payload: unknown): ReturnType<typeof dispatch>;
  /** The value of a successful invoke; throws with the error otherwise. */
  value<T = unknown>(channel: InvokeChannel, payload: unknown): Promise<T>;
  eventsOf<E extends EventChannel>(event: E): EventPayload<E>[];
  close(): Promise<void>;
}

export async function createTestStudio(): Promise<TestStudio> {
  const workDir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'studio-handlers-')));
  const projectDir = path.join(workDir, 'project');
  const events: PushedEvent[] = [];
  const session = new ProjectSession({
    labelDebounceMs: 5,
    ...labelEvents((event, payload) => events.push({ event, payload })),
  });
  await session.create(projectDir, { name: 'tiny', landmarkSchema: 'five', attributeSchema: null });
  const images = [1, 2, 3].map((n) => ({ ...imageRecord(n), split: 'train' as const }));
  await session.require().putImages(images);

  const { spawner, processes } = fakeTrainingSpawner();
  const host = new TrainingHost(spawner, { stopTimeoutMs: 50 });
  const relay = new TrainingRelay(host, (payload) =>
    events.push({ event: 'training:event', payload }),
  );
  const context: StudioContext = {
    mode: 'browser',
    version: 'test',
    session,
    recent: new RecentProjects(path.join(workDir, 'recent.json')),
    pickFolder: async () => ({ dir: null, supported: false }),
    backend: () => host.backend(),
    training: relay,
    emit: (event, payload) => events.push({ event, payload }),
  };
  const handlers = createHandlers(context);
  const invoke = (channel: InvokeChannel, payload: unknown) => dispatch(handlers, channel, payload);
  return {
    workDir,
    projectDir,
    session,
    images,
    events,
    processes,
    relay,
    invoke,
    async value<T>(channel: InvokeChannel, payload: unknown): Promise<T> {
      const result = await invoke(channel, payload);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
      return result.value as T;
    },
    eventsOf: <E extends EventChannel>(event: E) =>
      events.filter((e) => e.event === event).map((e) => e.payload as EventPayload<E>),
    async close() {
      await host.stop();
      await session.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
