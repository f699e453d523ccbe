import { EventStoreDbEventStore } from '../../../infra/event-store/eventstoredb-event-store.ts';
import {
  EventStoreDbStandIn,
  STAND_IN_LABEL,
} from '../../support/eventstoredb-standin/standin-server.ts';
import { eventStoreContract } from './event-store.contract.ts';

const realServer = process.env.EVENTSTORE_URL;

if (realServer) {
  console.log(`    EventStoreDB contract: running against the real server at ${realServer}`);
  eventStoreContract(`EventStoreDB (real server, ${realServer})`, async () => {
    const store = await EventStoreDbEventStore.open({ url: realServer });
    return { store, cleanup: () => store.close() };
  });
} else {
  const rule = '    ' + '*'.repeat(76);
  console.log(
    [
      '',
      rule,
      '    SKIPPED: the EventStoreDB contract suite against a REAL server did not run:',
      '    EVENTSTORE_URL is not set (no EventStoreDB server on this machine).',
      '    Set EVENTSTORE_URL=esdb://host:2113?tls=false to run it against one.',
      `    Only the ${STAND_IN_LABEL} ran.`,
      rule,
      '',
    ].join('\n'),
  );
  describe('EventStore contract: EventStoreDB (real server)', () => {
    it.skip('needs EVENTSTORE_URL pointing at a live EventStoreDB (not set here)');
  });
}

describe(STAND_IN_LABEL, () => {
  let standIn: EventStoreDbStandIn;
  before(async () => {
    standIn = await EventStoreDbStandIn.start();
  });
  after(async () => {
    await standIn.stop();
  });

  eventStoreContract(`EventStoreDB adapter on the ${STAND_IN_LABEL}`, async () => {
    const store = await EventStoreDbEventStore.open({ url: standIn.url });
    return { store, cleanup: () => store.close() };
  });
});
