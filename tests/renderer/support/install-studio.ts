/**
 * Setup for the renderer project: installs the fake studio as `window.studio` before any store
 * imports `lib/api.ts` (which picks its transport when it loads), and clears it between tests.
 */
import { afterEach } from 'vitest';
import { FakeStudio } from './fake-studio';

export const studio = new FakeStudio();

Object.defineProperty(globalThis, 'window', {
  value: { studio },
  configurable: true,
  writable: true,
});

afterEach(() => studio.reset());
