#!/usr/bin/env node
// The checkout's entrypoint runs the TypeScript sources through tsx (a dev dependency), so
// `npm start` works straight after `npm ci` with no build step and always runs the current
// sources. Production runs what `npm run build` emits: `node dist/infra/cli/main.js`.
import process from 'node:process';

let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'bin/cambio.js runs the TypeScript sources and needs the dev dependencies (npm ci).\n' +
      'With production dependencies only, run the build: npm run build && node dist/infra/cli/main.js\n',
  );
  process.exit(1);
}
register();
await import('../infra/cli/main.ts');
