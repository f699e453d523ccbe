import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SETTINGS } from '../../infra/config/settings.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import { httpClient, registerAndLogin } from '../support/http-client.ts';
import { ROOT, readText } from './deployment-files.ts';

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
const instructions = (dockerfile: string): Instruction[] =>
  dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });

/** Named stages (`FROM image AS name`) and their instructions. */
const stagesOf = (all: Instruction[]): Map<string, Instruction[]> => {
  const stages = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      current = [];
      const name = /\sAS\s+(\S+)$/i.exec(instruction.args)?.[1];
      if (name !== undefined) stages.set(name, current);
    } else {
      current.push(instruction);
    }
  }
  return stages;
};

/** The final stage: instructions after the last FROM. */
const finalStage = (all: Instruction[]): Instruction[] =>
  all.slice(all.map((instruction) => instruction.keyword).lastIndexOf('FROM'));

/** `KEY=value KEY2=value2` of an ENV instruction. */
const envKeys = (args: string): string[] =>
  [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map(([, key = '']) => key);

/** .dockerignore matching as Docker does it: anchored globs, a match excludes the subtree. */
const dockerIgnored = (patterns: string[], path: string): boolean => {
  const toRegExp = (pattern: string): RegExp =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .split('')
        .map((char) =>
          char === '*' ? '[^/]*' : char === '?' ? '[^/]' : char.replace(/[.+^${}()|[\]\\]/, '\\$&'),
        )
        .join('')}$`,
    );
  const prefixes = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const regExp = toRegExp(negated ? raw.slice(1) : raw);
    if (prefixes.some((prefix) => regExp.test(prefix))) ignored = !negated;
  }
  return ignored;
};

/** What the image runs: the compiled CLI. */
const ENTRY = 'dist/infra/cli/main.js';

/** The TypeScript source a file of dist/ is compiled from. */
const sourceOf = (compiled: string): string =>
  compiled.replace(/^dist\//, '').replace(/\.js$/, '.ts');

const IMPORT_SPECIFIERS =
  /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every source file the entrypoint loads, and every package it imports, followed through imports. */
const runtimeGraph = (entry: string): { files: Set<string>; packages: Set<string> } => {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [resolve(ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop() ?? '';
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(IMPORT_SPECIFIERS)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!existsSync(target))
          throw new Error(`${relative(ROOT, file)} imports missing ${specifier}`);
        pending.push(target);
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? ''));
      }
    }
  }
  return { files, packages };
};

describe('Dockerfile and .dockerignore', () => {
  const all = instructions(readText('Dockerfile'));
  const runtime = finalStage(all);
  const find = (keyword: string) =>
    runtime.filter((instruction) => instruction.keyword === keyword);

  it('builds on node:20-bookworm-slim in every stage, with production dependencies only', () => {
    const bases = all
      .filter(({ keyword }) => keyword === 'FROM')
      .map(({ args }) => args.split(/\s+/)[0]);
    expect(bases).to.have.length.at.least(2);
    expect(new Set(bases)).to.deep.equal(new Set(['node:20-bookworm-slim']));
    const installs = all.filter(
      ({ keyword, args }) => keyword === 'RUN' && args.includes('npm ci'),
    );
    expect(installs.map(({ args }) => args).join(' ')).to.include('npm ci --omit=dev');
    // better-sqlite3 compiles when no prebuilt binary matches.
    const toolchain = all.find(
      ({ keyword, args }) => keyword === 'RUN' && args.includes('apt-get install'),
    );
    for (const tool of ['python3', 'make', 'g++']) expect(toolchain?.args).to.include(tool);
    expect(find('RUN').some(({ args }) => args.includes('apt-get'))).to.equal(false);
  });

  it('runs as a non-root user, listens on every interface and keeps data in the /data volume', () => {
    const users = find('USER').map(({ args }) => args);
    expect(users).to.have.length.at.least(1);
    expect(users.at(-1)).to.not.match(/^(root|0)(:|$)/);
    const env = Object.fromEntries(
      find('ENV').flatMap(({ args }) =>
        [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)].map(([, k, v]) => [k, v]),
      ),
    );
    expect(env).to.include({ HOST: '0.0.0.0', CAMBIO_DATA_DIR: '/data' });
    expect(find('VOLUME').map(({ args }) => args)).to.deep.equal(['["/data"]']);
  });

  it('sets only Cambio settings (and NODE_ENV) in the environment', () => {
    const settings = new Set(SETTINGS.map((setting) => setting.env));
    const keys = find('ENV').flatMap(({ args }) => envKeys(args));
    expect(keys.filter((key) => key !== 'NODE_ENV' && !settings.has(key))).to.deep.equal([]);
  });

  it('checks /health on the configured port', () => {
    const [healthcheck] = find('HEALTHCHECK');
    expect(healthcheck?.args).to.include('/health');
    expect(healthcheck?.args).to.include('process.env.PORT');
    expect(find('CMD').map(({ args }) => JSON.parse(args) as unknown)).to.deep.equal([['start']]);
  });

  it('starts the compiled CLI with node alone, from dist/ that a build stage emits', () => {
    expect(find('ENTRYPOINT').map(({ args }) => JSON.parse(args) as unknown)).to.deep.equal([
      ['node', ENTRY],
    ]);
    expect(existsSync(join(ROOT, sourceOf(ENTRY))), sourceOf(ENTRY)).to.equal(true);
    const { scripts = {} } = JSON.parse(readText('package.json')) as {
      scripts?: Record<string, string>;
    };
    // The server's build, then the web console's bundle.
    expect(scripts.build).to.match(/^tsc -p tsconfig\.build\.json( && npm run build:console)?$/);
    const stages = stagesOf(all);
    const copies = find('COPY').map(({ args }) => args);
    const fromBuild = copies.find((args) => /\/app\/dist\s+\.\/dist$/.test(args));
    const buildStage = /--from=(\S+)/.exec(fromBuild ?? '')?.[1] ?? '';
    expect(
      stages
        .get(buildStage)
        ?.some(({ keyword, args }) => keyword === 'RUN' && args === 'npm run build'),
      `stage ${buildStage} runs npm run build`,
    ).to.equal(true);
    // No sources in the runtime image: only dist/, package.json and production node_modules.
    expect(copies.filter((args) => !args.startsWith('--from='))).to.deep.equal(['package.json ./']);
    const deps = copies.find((args) => args.endsWith('/app/node_modules ./node_modules'));
    const depsStage = /--from=(\S+)/.exec(deps ?? '')?.[1] ?? '';
    expect(
      stages
        .get(depsStage)
        ?.some(({ keyword, args }) => keyword === 'RUN' && args.includes('npm ci --omit=dev')),
      `stage ${depsStage} installs production dependencies only`,
    ).to.equal(true);
  });

  it('keeps in the build context every file the entrypoint loads', () => {
    const patterns = readText('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const { files } = runtimeGraph(sourceOf(ENTRY));
    expect(files.size).to.be.above(50);
    const excluded = [...files]
      .map((file) => relative(ROOT, file))
      .concat(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'])
      .filter((file) => dockerIgnored(patterns, file));
    expect(excluded).to.deep.equal([]);
    for (const left of ['node_modules', 'test/deploy/image.test.ts', '.git', 'data/events.db']) {
      expect(dockerIgnored(patterns, left), left).to.equal(true);
    }
  });

  it('finds every package the entrypoint imports among the production dependencies', () => {
    const { dependencies = {} } = JSON.parse(readText('package.json')) as {
      dependencies?: Record<string, string>;
    };
    const { packages } = runtimeGraph(sourceOf(ENTRY));
    expect(packages.size).to.be.above(5);
    expect([...packages].filter((name) => !(name in dependencies))).to.deep.equal([]);
    for (const transpiler of ['tsx', 'typescript', 'ts-node', 'esbuild']) {
      expect(dependencies, transpiler).to.not.have.property(transpiler);
    }
  });

  it('has a package-lock.json for npm ci', () => {
    expect(existsSync(join(ROOT, 'package-lock.json'))).to.equal(true);
  });
});

/**
 * The image without Docker: the build stage's `npm run build` into a temp /app, the deps stage's
 * `npm ci --omit=dev` beside it, then the final stage's ENTRYPOINT and CMD run from there.
 */
describe('the compiled build with production dependencies only', function () {
  this.timeout(180_000);
  const run = promisify(execFile);
  let app: string;
  let cambio: CambioProcess | undefined;

  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'cambio-image-'));
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(app, 'dist'),
      ],
      { cwd: ROOT },
    );
    for (const file of ['package.json', 'package-lock.json'])
      copyFileSync(join(ROOT, file), join(app, file));
    // --ignore-scripts: the native addon is copied from this checkout's install below rather than
    // compiled again (minutes on a small machine); the install's contents are what is under test.
    await run(
      'npm',
      ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'],
      {
        cwd: app,
      },
    );
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    mkdirSync(dirname(join(app, addon)), { recursive: true });
    copyFileSync(join(ROOT, addon), join(app, addon));
  });

  after(async () => {
    await cambio?.cleanup();
    rmSync(app, { recursive: true, force: true });
  });

  it('has no TypeScript transpiler installed and no TypeScript source to run', () => {
    for (const transpiler of ['tsx', 'typescript', 'ts-node', 'esbuild']) {
      expect(existsSync(join(app, 'node_modules', transpiler)), transpiler).to.equal(false);
    }
    expect(existsSync(join(app, ENTRY))).to.equal(true);
    expect(existsSync(join(app, sourceOf(ENTRY)))).to.equal(false);
  });

  it("starts from the Dockerfile's entrypoint, answers /health and /ready and takes a newcomer", async () => {
    cambio = await CambioProcess.start({ entry: { script: ENTRY, cwd: app } });
    const client = httpClient(cambio.baseUrl);
    expect((await client.get('/health')).status).to.equal(200);
    expect((await client.get('/ready')).status).to.equal(200);
    const user = await registerAndLogin(client, cambio.outboxDir);
    const deposit = await client.post(
      '/api/user/wallet/deposit',
      { amount: '10.50' },
      { token: user.token },
    );
    expect(deposit.status, deposit.text).to.equal(200);
  });
});
