import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Cambio's version from its package.json, found by walking up from this file: the sources sit
 * two folders below it, the compiled build (dist/infra/cli) three.
 */
export const cambioVersion = (): string => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'cambio' && manifest.version) return manifest.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
};
