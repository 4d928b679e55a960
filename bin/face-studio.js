#!/usr/bin/env node
// The installed `face-studio` command: runs the TypeScript CLI through tsx, no build step needed.
import { register } from 'tsx/esm/api';

register();
await import('../src-main/cli/index.ts');
