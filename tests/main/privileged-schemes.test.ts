import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-mock'));

import { app, protocol, resetElectronMock } from './electron-mock';
import { registerPrivilegedSchemes } from '../../src-main/main/privileged-schemes';

beforeEach(() => resetElectronMock());

describe('registerPrivilegedSchemes', () => {
  it('registers app: and studio-media: as standard, secure, fetchable, in one call before ready', () => {
    let ready = false;
    void app.whenReady().then(() => (ready = true));
    registerPrivilegedSchemes();
    expect(ready).toBe(false);
    // Electron takes this call once: both schemes must be in it.
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    const privileged = { standard: true, secure: true, supportFetchAPI: true };
    expect(protocol.privileged).toEqual([
      { scheme: 'app', privileges: expect.objectContaining(privileged) },
      { scheme: 'studio-media', privileges: expect.objectContaining(privileged) },
    ]);
    // Neither bypasses the CSP nor is open to other origins' fetches.
    for (const { privileges } of protocol.privileged) {
      expect(privileges?.bypassCSP ?? false).toBe(false);
      expect(privileges?.corsEnabled ?? false).toBe(false);
    }
  });
});
