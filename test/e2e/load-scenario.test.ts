import { expect } from 'chai';
import { formatReport, outboxCodes, runLoadScenario } from '../../bench/load.ts';
import { CambioProcess } from '../support/cambio-process.ts';

/**
 * The load scenario, briefly, against the embedded server: every request of every stage must
 * succeed and every websocket must stay open and see its wallet move. Latencies are printed,
 * not asserted (this machine is shared); `npm run load` enforces its latency thresholds.
 */
describe('e2e: the load scenario on the embedded server (bounded)', function () {
  this.timeout(60_000);
  let cambio: CambioProcess | undefined;

  before(async () => {
    cambio = await CambioProcess.start();
  });
  after(async () => {
    await cambio?.cleanup();
  });

  it('registers, verifies and logs in 10 newcomers, who then trade and read for 8 s with websockets open: no error', async () => {
    const report = await runLoadScenario({
      baseUrl: cambio?.baseUrl ?? '',
      users: 10,
      signInConcurrency: 4,
      durationSeconds: 8,
      verificationCodes: outboxCodes(cambio?.outboxDir ?? ''),
      thresholds: {
        maxErrorRate: 0,
        maxP99Ms: Number.POSITIVE_INFINITY,
        maxSignInP99Ms: Number.POSITIVE_INFINITY,
      },
    });
    for (const line of formatReport(report)) console.log(`      ${line}`);
    expect(report.failures).to.deep.equal([]);
    expect(report.stages.map((stage) => stage.stage)).to.have.length(4);
    const trading = report.stages.at(-1);
    expect(trading?.requests).to.be.above(50);
    expect(report.websockets.opened).to.equal(10);
  });
});
