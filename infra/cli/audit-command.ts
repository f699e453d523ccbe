import { Command } from 'commander';
import { checkConservation } from '../../audit/conservation.ts';
import type { Config } from '../config/settings.ts';
import { createLogger } from '../logging/logger.ts';
import { openEventStore } from '../process/adapters.ts';

/** Exit code of an audit that found money not conserved (or any other violation). */
export const EXIT_VIOLATION = 1;

/** `cambio audit conservation`: checks the event log alone; exit 1 on a violation. */
export const auditCommand = (configFrom: (command: Command) => Config): Command => {
  const audit = new Command('audit').description('Check the event log');
  audit
    .command('conservation')
    .description(
      'Per currency: balances + money in flight == deposits - withdrawals + trade flows; every transfer settled at most once (exit 1 on a violation)',
    )
    .option('--data-dir <dir>', 'data directory of the embedded event store (env: CAMBIO_DATA_DIR)')
    .option('--json', 'print the whole report as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const store = await openEventStore(config, createLogger({ level: 'warn', role: 'cli' }));
      try {
        const report = await checkConservation(store);
        if (options.json) {
          console.log(JSON.stringify(report, null, 2));
        } else {
          console.log(
            `${report.events} wallet events up to position ${report.position}, ${report.wallets} wallets; transfers: ${report.transfers.pending} pending, ${report.transfers.completed} completed, ${report.transfers.refunded} refunded`,
          );
          for (const [code, t] of Object.entries(report.currencies)) {
            console.log(
              `${code}: balances ${t.balances} + in flight ${t.inFlight} vs deposits ${t.deposits} - withdrawals ${t.withdrawals} + trades ${t.tradeFlows}: difference ${t.difference}`,
            );
          }
          for (const violation of report.violations) console.log(`VIOLATION ${violation}`);
          console.log(
            report.violations.length === 0 ? 'money is conserved' : 'money is NOT conserved',
          );
        }
        if (report.violations.length > 0) process.exitCode = EXIT_VIOLATION;
      } finally {
        await store.close();
      }
    });
  return audit;
};
