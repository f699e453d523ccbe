import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { SETTINGS } from '../../infra/config/settings.ts';
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

  it('checks /health on the configured port and starts through bin/cambio.js', () => {
    const [healthcheck] = find('HEALTHCHECK');
    expect(healthcheck?.args).to.include('/health');
    expect(healthcheck?.args).to.include('process.env.PORT');
    expect(find('ENTRYPOINT').map(({ args }) => JSON.parse(args) as unknown)).to.deep.equal([
      ['node', 'bin/cambio.js'],
    ]);
    expect(find('CMD').map(({ args }) => JSON.parse(args) as unknown)).to.deep.equal([['start']]);
  });

  it('keeps in the build context every file the entrypoint loads', () => {
    const patterns = readText('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const { files } = runtimeGraph('bin/cambio.js');
    expect(files.size).to.be.above(50);
    const excluded = [...files]
      .map((file) => relative(ROOT, file))
      .concat(['package.json', 'package-lock.json'])
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
    const { packages } = runtimeGraph('bin/cambio.js');
    expect(packages.size).to.be.above(5);
    expect([...packages].filter((name) => !(name in dependencies))).to.deep.equal([]);
  });

  it('has a package-lock.json for npm ci', () => {
    expect(existsSync(join(ROOT, 'package-lock.json'))).to.equal(true);
  });
});
