import { connect } from 'nats';
import { MAIL_QUEUE } from '../../ports/mail-requests.ts';
import { natsQueueNames } from '../../infra/delivery-log/nats-parked-mail.ts';

/** What the mail queue holds on the server: waiting requests, and requests awaiting an ack. */
export const mailQueueState = async (
  natsUrl: string,
): Promise<{ waiting: number; awaitingAck: number; redelivered: number }> => {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const names = natsQueueNames(MAIL_QUEUE);
    const stream = await jsm.streams.info(names.stream);
    const consumer = await jsm.consumers.info(names.stream, 'workers');
    return {
      waiting: stream.state.messages,
      awaitingAck: consumer.num_ack_pending,
      redelivered: consumer.num_redelivered,
    };
  } finally {
    await nc.close();
  }
};
