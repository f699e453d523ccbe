#!/usr/bin/env node
// The published entrypoint runs the TypeScript sources through tsx, so `npm start`
// works straight after `npm ci` with no build step; `npm run build` emits dist/ for images.
import { register } from 'tsx/esm/api';

register();
await import('../infra/cli/main.ts');
