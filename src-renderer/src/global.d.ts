import type { StudioApi } from '$shared/ipc-contract';

declare global {
  interface Window {
    /** Set by Electron's preload; absent in a browser talking to the bridge. */
    studio?: StudioApi;
  }
}

export {};
