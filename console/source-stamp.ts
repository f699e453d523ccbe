/**
 * Where the console lives, and a fingerprint of everything its bundle is built from (its
 * sources and the domain code it shares with the server), by content: a server tells a stale
 * bundle from a fresh one without loading the bundler, whatever the files' modification times.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');
/** Server code the console bundles too (money, the wallet replay). */
const SHARED_SOURCES = [join(CONSOLE_DIR, '..', 'domain')];
const STAMP_FILE = '.source-stamp';

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('dist') ? [] : filesUnder(path);
    return [path];
  });

export const sourceStamp = (): string => {
  const hash = createHash('sha256');
  for (const file of [CONSOLE_DIR, ...SHARED_SOURCES].flatMap(filesUnder).sort()) {
    hash
      .update(`${relative(CONSOLE_DIR, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  }
  return hash.digest('hex');
};

/** The stamp a built bundle was made from, or null when there is no bundle. */
export const builtStamp = (distDir = CONSOLE_DIST): string | null => {
  try {
    return readFileSync(join(distDir, STAMP_FILE), 'utf8').trim();
  } catch {
    return null;
  }
};

export const writeStamp = (distDir: string, stamp: string): void => {
  writeFileSync(join(distDir, STAMP_FILE), `${stamp}\n`);
};
