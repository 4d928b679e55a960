/**
 * The app's custom schemes, registered as privileged in one call: Electron allows
 * `protocol.registerSchemesAsPrivileged` once, before the app is ready.
 * - `app://face-studio/` serves the built renderer (app-protocol.ts);
 * - `studio-media://` serves the open project's images (media-protocol.ts).
 */
import { protocol } from 'electron';
import { APP_SCHEME_PRIVILEGES } from './app-protocol';
import { MEDIA_SCHEME_PRIVILEGES } from './media-protocol';

/** Call before `app.whenReady()`. */
export function registerPrivilegedSchemes(): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES, MEDIA_SCHEME_PRIVILEGES]);
}
