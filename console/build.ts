/**
 * Builds the web console (console/src) into console/dist with esbuild: one hashed script, one
 * hashed stylesheet and the index.html naming them. read-api serves the result at /app.
 *
 * `npm run build:console` runs it, and so does `npm start` (prestart) and the browser tests;
 * the image builds it in a stage of its own. It writes to a sibling temp folder and renames
 * that into place, so a running server never serves half a bundle.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtStamp, CONSOLE_DIR, CONSOLE_DIST, sourceStamp, writeStamp } from './source-stamp.ts';

export interface ConsoleBuild {
  dir: string;
  /** Output file names and sizes in bytes. */
  files: { name: string; bytes: number }[];
}

export const buildConsole = async (outdir = CONSOLE_DIST): Promise<ConsoleBuild> => {
  const stamp = sourceStamp();
  const staging = `${outdir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    const result = await build({
      entryPoints: { app: join(CONSOLE_DIR, 'src', 'main.tsx') },
      bundle: true,
      minify: true,
      format: 'esm',
      // bigint literals and optional chaining: every browser of the last four years.
      target: ['es2022'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      entryNames: '[name]-[hash]',
      outdir: staging,
      metafile: true,
      legalComments: 'none',
      tsconfig: join(CONSOLE_DIR, 'tsconfig.json'),
      logLevel: 'silent',
    });
    const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
    const script = outputs.find((name) => name.endsWith('.js'));
    const style = outputs.find((name) => name.endsWith('.css'));
    if (script === undefined || style === undefined) {
      throw new Error(`console build produced ${outputs.join(', ')}: expected a .js and a .css`);
    }
    const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8')
      .replace('%SCRIPT%', script)
      .replace('%STYLE%', style);
    writeFileSync(join(staging, 'index.html'), html);
    writeStamp(staging, stamp);
    rmSync(outdir, { recursive: true, force: true });
    try {
      renameSync(staging, outdir);
    } catch (error) {
      // Another process put the same build in place between the two calls: use theirs.
      if (builtStamp(outdir) !== stamp) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
    return {
      dir: outdir,
      files: [...outputs, 'index.html'].map((name) => ({
        name,
        bytes: readFileSync(join(outdir, name)).length,
      })),
    };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildConsole();
  for (const file of built.files) console.log(`${file.name}  ${file.bytes} bytes`);
}
