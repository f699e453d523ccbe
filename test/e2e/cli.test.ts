import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SETTINGS } from '../../infra/config/settings.ts';
import { CambioProcess, REPO_ROOT, runCambio } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  registerAndLogin,
  type JsonRecord,
} from '../support/http-client.ts';
import {
  natsServerUnavailableReason,
  startPrivateNatsServer,
  type PrivateNatsServer,
} from '../support/nats-server.ts';

/** An operator mistake: one line on stderr, no stack, the given exit code. */
const expectOneLine = (
  run: { code: number | null; stdout: string; stderr: string },
  code: number,
  says: RegExp,
): void => {
  const output = `${run.stderr}${run.stdout}`;
  expect(run.code, output).to.equal(code);
  const lines = output.split('\n').filter((line) => line.trim() !== '');
  expect(lines[0], output).to.match(says);
  expect(output).not.to.match(/^\s+at /m);
};

describe('e2e: the command line for operators', function () {
  this.timeout(90_000);
  let empty: string;

  beforeEach(function () {
    empty = mkdtempSync(join(tmpdir(), 'cambio-cli-'));
  });

  afterEach(function () {
    rmSync(empty, { recursive: true, force: true });
  });

  it('`cambio --version` prints the package version', async function () {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = await runCambio(['--version']);
    expect(run.code).to.equal(0);
    expect(run.stdout.trim()).to.equal(version);
  });

  it('every --help lists the values it allows', async function () {
    const start = await runCambio(['start', '--help']);
    expect(start.code).to.equal(0);
    const flat = start.stdout.replace(/\s+/g, ' ');
    for (const setting of SETTINGS) {
      expect(flat, setting.flag).to.include(`Allowed: ${setting.allowed.replace(/\s+/g, ' ')}`);
    }
    const expectations: [string[], RegExp[]][] = [
      [['users', 'grant-role', '--help'], [/"user", "auditor", "admin"/]],
      [['users', 'revoke-role', '--help'], [/"user", "auditor", "admin"/]],
      [['projections', 'rebuild', '--help'], [/wallet-read-models/]],
      [
        ['projections', 'status', '--help'],
        [/sqlite \| mongodb/, /fatal \| error \| warn/],
      ],
      [['mail', 'parked', '--help'], [/in-process \| nats/]],
      [['mail', 'replay', '--help'], [/in-process \| nats/]],
    ];
    for (const [args, patterns] of expectations) {
      const run = await runCambio(args);
      expect(run.code, args.join(' ')).to.equal(0);
      const text = run.stdout.replace(/\s+/g, ' ');
      for (const pattern of patterns) expect(text, args.join(' ')).to.match(pattern);
    }
  });

  it('an unknown projection or role is one line and exit 2', async function () {
    expectOneLine(
      await runCambio(['projections', 'rebuild', 'nope', '--data-dir', empty]),
      2,
      /invalid for argument 'name'.*wallet-read-models/,
    );
    expectOneLine(
      await runCambio(['users', 'grant-role', 'ada@example.com', 'king', '--data-dir', empty]),
      2,
      /invalid for argument 'role'.*user, auditor, admin/,
    );
  });

  it('maintenance commands refuse a data directory without an event store, and create nothing there', async function () {
    const missing = join(empty, 'missing');
    for (const [args, dataDir] of [
      [['projections', 'status'], empty],
      [['projections', 'rebuild'], missing],
      [['users', 'grant-role', 'ada@example.com', 'admin'], empty],
      [['users', 'revoke-role', 'ada@example.com', 'admin'], missing],
    ] as const) {
      expectOneLine(
        await runCambio([...args, '--data-dir', dataDir]),
        1,
        /^cambio: no event store in .*--data-dir/,
      );
    }
    expect(readdirSync(empty)).to.deep.equal([]);
  });

  describe('mail', function () {
    let nats: PrivateNatsServer | undefined;

    before(async function () {
      const reason = natsServerUnavailableReason();
      if (reason) {
        console.warn(`SKIPPING the NATS mail CLI test: ${reason}`);
        this.skip();
      }
      nats = await startPrivateNatsServer();
    });

    after(async function () {
      await nats?.dispose();
    });

    it('an unknown parked mail is one line and exit 1', async function () {
      expectOneLine(
        await runCambio(['mail', 'replay', 'no-such-mail', '--bus', 'nats'], {
          NATS_URL: nats?.url ?? '',
        }),
        1,
        /no parked mail with id no-such-mail/,
      );
    });
  });

  describe('users revoke-role', function () {
    it('takes a granted role away: the read model and the next token no longer carry it', async function () {
      const cambio = await CambioProcess.start();
      try {
        const client = httpClient(cambio.baseUrl);
        const user = await registerAndLogin(client, cambio.outboxDir);
        const cli = (verb: string) =>
          runCambio(['users', verb, user.mail, 'admin', '--data-dir', cambio.dataDir]);
        const granted = await cli('grant-role');
        expect(granted.code, granted.stderr).to.equal(0);
        expect(granted.stdout).to.match(/now has roles: user, admin/);
        const admin = await login(client, user.mail, user.password);
        expect(
          (await client.get('/api/admin/projections', { token: admin.token })).status,
        ).to.equal(200);

        const revoked = await cli('revoke-role');
        expect(revoked.code, revoked.stderr).to.equal(0);
        expect(revoked.stdout).to.match(/now has roles: user$/m);
        const plain = await login(client, user.mail, user.password);
        expect(
          (await client.get('/api/admin/projections', { token: plain.token })).status,
        ).to.equal(403);
        await eventually('the profile without admin', async () => {
          const me = await client.get<JsonRecord>('/api/user/me', { token: plain.token });
          return JSON.stringify(me.body.roles) === '["user"]' ? true : undefined;
        });
        // Revoking again changes nothing; the base role cannot be revoked.
        expect((await cli('revoke-role')).code).to.equal(0);
        expectOneLine(
          await runCambio([
            'users',
            'revoke-role',
            user.mail,
            'user',
            '--data-dir',
            cambio.dataDir,
          ]),
          1,
          /^cambio: every account keeps the 'user' role/,
        );
        expectOneLine(
          await runCambio([
            'users',
            'revoke-role',
            'nobody@example.com',
            'admin',
            '--data-dir',
            cambio.dataDir,
          ]),
          1,
          /^cambio: No account is registered with nobody@example.com/,
        );
      } finally {
        await cambio.cleanup();
      }
    });
  });
});
