import { expect } from 'chai';
import { createOutbox, type OutboxSocket } from '../../../read-api/websocket/outbox.ts';

/** A socket whose send buffer only drains when the test says so. */
const fakeSocket = () => {
  const written: string[] = [];
  const unflushed: Array<{ text: string; callback: (error?: Error) => void }> = [];
  const socket: OutboxSocket & { readyState: number } = {
    readyState: 1,
    get bufferedAmount() {
      return unflushed.reduce((sum, entry) => sum + entry.text.length, 0);
    },
    send(data, options, callback) {
      expect(options.binary).to.equal(false);
      const text = String(data);
      written.push(text);
      unflushed.push({ text, callback });
    },
  };
  /** Flushes the whole buffer to the peer, calling each write's callback like a socket does. */
  const drain = (error?: Error) => {
    const entries = unflushed.splice(0);
    for (const entry of entries) entry.callback(error);
  };
  return { socket, written, drain };
};

const LIMITS = { highWaterMarkBytes: 10, maxQueuedReplies: 2 };

describe('websocket outbox', () => {
  it('sends at once while the buffer is under the mark, bytes as text frames too', () => {
    const { socket, written } = fakeSocket();
    const outbox = createOutbox(socket, LIMITS);
    outbox.offer('rates', Buffer.from('r1'));
    outbox.offer('rates', 'r2');
    expect(outbox.reply('ack')).to.equal(true);
    expect(written).to.deep.equal(['r1', 'r2', 'ack']);
  });

  it('keeps only the newest message per channel while congested, then flushes in order', () => {
    const { socket, written, drain } = fakeSocket();
    const outbox = createOutbox(socket, LIMITS);
    outbox.offer('rates', 'rates-0-long-message');
    outbox.offer('rates', 'rates-1');
    outbox.offer('wallet', 'wallet-1');
    outbox.reply('ack');
    outbox.offer('rates', 'rates-2');
    outbox.offer('rates', 'rates-3');
    expect(written).to.deep.equal(['rates-0-long-message']);
    expect(outbox.stats()).to.include({ pendingMessages: 3, conflated: 2 });

    drain();
    // rates moved behind the ack when it was replaced: it is the newest thing pending.
    expect(written).to.deep.equal(['rates-0-long-message', 'wallet-1', 'ack', 'rates-3']);
    expect(outbox.stats().pendingMessages).to.equal(0);
  });

  it('tells a channel that asks how many messages a flushed one replaced', () => {
    const { socket, written, drain } = fakeSocket();
    const outbox = createOutbox(socket, LIMITS);
    outbox.offer('rates', 'x'.repeat(20));
    for (let i = 1; i <= 4; i++) outbox.offer('wallet', `w${i}`, (skipped) => `w${i}+${skipped}`);
    drain();
    expect(written.at(-1)).to.equal('w4+3');
  });

  it('forgets a dropped channel and refuses replies beyond the limit', () => {
    const { socket, written, drain } = fakeSocket();
    const outbox = createOutbox(socket, LIMITS);
    outbox.offer('rates', 'x'.repeat(20));
    outbox.offer('wallet', 'w');
    outbox.drop('wallet');
    expect(outbox.reply('a1')).to.equal(true);
    expect(outbox.reply('a2')).to.equal(true);
    expect(outbox.reply('a3')).to.equal(false);
    drain();
    expect(written).to.deep.equal(['x'.repeat(20), 'a1', 'a2']);
  });

  it('drops what is pending when a write fails, and sends nothing on a closed socket', () => {
    const { socket, written, drain } = fakeSocket();
    const outbox = createOutbox(socket, LIMITS);
    outbox.offer('rates', 'x'.repeat(20));
    outbox.offer('rates', 'later');
    drain(new Error('socket closed'));
    expect(outbox.stats().pendingMessages).to.equal(0);
    socket.readyState = 3;
    outbox.offer('rates', 'after close');
    expect(written).to.deep.equal(['x'.repeat(20)]);
  });
});
