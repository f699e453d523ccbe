/**
 * SIGKILL of the whole process during a burst of transfers, ten times at random moments. After
 * each restart every acknowledged transfer is in the log, every transfer completes or refunds
 * exactly once, and money is conserved.
 */
import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import { conservationOf, expectAllTransfersSettled } from '../support/conservation.ts';
import {
  httpClient,
  registerAndLogin,
  sleep,
  uniqueMail,
  type HttpClient,
  type HttpResponse,
  type NewUser,
} from '../support/http-client.ts';

const ROUNDS = 10;

type TransferPage = {
  transfers: { transferId: string; state: string; direction: string }[];
  nextCursor: string | null;
};
const SENDERS = 8;

describe('e2e: SIGKILL during a burst of transfers', function () {
  this.timeout(300_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let users: NewUser[];

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    users = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        registerAndLogin(client, cambio.outboxDir, { mail: uniqueMail(`crash${i}`) }),
      ),
    );
    for (const user of users) {
      const funded = await client.post(
        '/api/user/wallet/deposit',
        { amount: '1000' },
        { token: user.token },
      );
      expect(funded.status).to.equal(200);
    }
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it(`settles every transfer exactly once across ${ROUNDS} kills`, async function () {
    const acknowledged = new Set<string>();
    for (let round = 1; round <= ROUNDS; round++) {
      // Senders keep transferring until the process dies under them.
      let alive = true;
      let sent = 0;
      const burst = Array.from({ length: SENDERS }, async (_, worker) => {
        while (alive) {
          const i = sent++;
          const sender = users[(round + worker) % users.length] as NewUser;
          const to =
            i % 5 === 0
              ? uniqueMail('ghost')
              : (users[(round + worker + 1 + (i % 3)) % users.length] as NewUser).mail;
          try {
            const response = await client.post(
              '/api/user/wallet/transfer',
              { to, amount: `0.${String(1 + (i % 99)).padStart(2, '0')}` },
              { token: sender.token },
            );
            if (response.status === 202) acknowledged.add(String(response.body.transferId));
          } catch {
            // The connection died with the process: not acknowledged, so nothing was promised.
            return;
          }
        }
      });
      await sleep(150 + Math.floor(Math.random() * 600));
      cambio.kill('SIGKILL');
      alive = false;
      await Promise.all(burst);
      expect((await cambio.waitForExit()).signal).to.equal('SIGKILL');

      await cambio.restart();
      const report = await expectAllTransfersSettled(cambio.dataDir);
      expect(report.transfers.completed + report.transfers.refunded).to.be.at.least(
        acknowledged.size,
      );
    }
    // No acknowledged transfer was lost: the log knows each one.
    const final = await conservationOf(cambio.dataDir);
    expect(final.violations).to.deep.equal([]);
    const ids = new Set<string>();
    for (const user of users) {
      for (
        let cursor: string | null = null, first = true;
        first || cursor !== null;
        first = false
      ) {
        const page: HttpResponse<TransferPage> = await client.get<TransferPage>(
          `/api/user/wallet/transfers?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
          { token: user.token, headers: { 'X-Min-Position': final.position } },
        );
        expect(page.status, page.text).to.equal(200);
        for (const t of page.body.transfers) {
          if (t.direction === 'out') ids.add(t.transferId);
          expect(t.state).to.be.oneOf(['completed', 'refunded']);
        }
        cursor = page.body.nextCursor;
      }
    }
    for (const id of acknowledged)
      expect(ids.has(id), `acknowledged transfer ${id}`).to.equal(true);
    console.log(
      `      ${acknowledged.size} transfers acknowledged across ${ROUNDS} kills; ${JSON.stringify(final.transfers)}`,
    );
  });
});
