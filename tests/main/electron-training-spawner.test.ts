import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import { resetElectronMock, utilityProcess } from './electron-mock';
import { electronTrainingSpawner } from '../../src-main/main/electron-training-spawner';
import { TrainingHost } from '../../src-main/app/training-host';

beforeEach(() => resetElectronMock());

describe('electronTrainingSpawner', () => {
  it('forks the built worker as a utility process and adapts its messages and exit', async () => {
    const host = new TrainingHost(electronTrainingSpawner('/app/out/main/training-process.js'));
    const started = host.start();
    expect(utilityProcess.fork).toHaveBeenCalledWith(
      '/app/out/main/training-process.js',
      [],
      expect.objectContaining({ serviceName: 'Face Studio training' }),
    );
    const child = utilityProcess.children[0]!;
    const backend = { name: 'cpu', forced: true, skipped: [] };
    child.emit('message', { type: 'ready', backend });
    await expect(started).resolves.toEqual(backend);

    // A utility process that dies is reported with its exit code, and not restarted.
    child.emit('exit', 134);
    expect(host.backend()).toEqual({
      report: null,
      error: 'The training process exited unexpectedly (code 134)',
    });
    expect(utilityProcess.fork).toHaveBeenCalledTimes(1);
  });

  it('asks the utility process to shut down through postMessage', async () => {
    const host = new TrainingHost(electronTrainingSpawner('/app/out/main/training-process.js'));
    void host.start();
    await host.stop();
    expect(utilityProcess.children[0]!.posted).toEqual([{ type: 'shutdown' }]);
    expect(host.running).toBe(false);
  });
});
