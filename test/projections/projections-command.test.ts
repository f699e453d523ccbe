import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Command } from 'commander';
import { loadConfig } from '../../infra/config/load-config.ts';
import { projectionsCommand } from '../../infra/cli/projections-command.ts';
import { SqliteEventStore } from '../../infra/event-store/sqlite-event-store.ts';
import { SqliteReadStore } from '../../infra/read-store/sqlite-read-store.ts';
import { createReadModelQueries } from '../../projections/queries.ts';
import {
  appendFixtureStreams,
  fixtureUserId,
  generateFixtureStreams,
} from './support/wallet-event-fixtures.ts';

describe('cambio projections (command line)', function () {
  let dir: string;
  let printed: string[];
  const originalLog = console.log;

  const run = async (...args: string[]): Promise<string[]> => {
    printed = [];
    console.log = (...parts: unknown[]) => void printed.push(parts.map(String).join(' '));
    try {
      const configFrom = (_command: Command) =>
        loadConfig({ CAMBIO_DATA_DIR: dir, LOG_LEVEL: 'silent' });
      const command = projectionsCommand(configFrom);
      // A usage error throws here instead of ending the process (the CLI exits 2 on it).
      for (const sub of [command, ...command.commands]) {
        sub.exitOverride().configureOutput({ writeErr: () => {} });
      }
      await command.parseAsync(args, { from: 'user' });
    } finally {
      console.log = originalLog;
    }
    return printed;
  };

  beforeEach(async function () {
    dir = mkdtempSync(join(tmpdir(), 'cambio-projections-cli-'));
    const eventStore = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    try {
      await appendFixtureStreams(
        eventStore,
        generateFixtureStreams({ users: 5, walletEvents: 200, seed: 31 }),
      );
    } finally {
      await eventStore.close();
    }
  });

  afterEach(function () {
    console.log = originalLog;
    rmSync(dir, { recursive: true, force: true });
  });

  it('status shows a projection that never ran, rebuild builds it, status then shows it caught up', async function () {
    const before = JSON.parse((await run('status', '--json')).join('\n')) as Record<
      string,
      unknown
    >[];
    expect(before).to.have.length(1);
    expect(before[0]).to.deep.include({
      projection: 'wallet-read-models',
      generation: null,
      position: '0',
      rebuilding: null,
    });
    const head = before[0]?.head as string;
    expect(Number(head)).to.be.above(200);

    const rebuilt = await run('rebuild', 'wallet-read-models', '--batch-size', '64');
    expect(rebuilt.at(-1)).to.match(
      /wallet-read-models: generation 2 is active \(replaced 1\) at position \d+/,
    );

    const table = await run('status');
    expect(table[0]).to.match(/^projection\s+generation\s+position\s+head\s+lag\s+rebuilding$/);
    expect(table[1]?.split(/\s+/)).to.deep.equal(['wallet-read-models', '2', head, head, '0', '-']);

    const readStore = new SqliteReadStore({ file: join(dir, 'read.sqlite') });
    try {
      const balances = await createReadModelQueries(readStore).getBalances(fixtureUserId(0));
      expect(balances).to.have.property('USD');
    } finally {
      await readStore.close();
    }
  });

  it('refuses an unknown projection name', async function () {
    await run('rebuild', 'nope').then(
      () => expect.fail('accepted an unknown projection'),
      (error: Error) =>
        expect(error.message).to.match(
          /value 'nope' is invalid for argument 'name'. Allowed choices are wallet-read-models/,
        ),
    );
  });
});
