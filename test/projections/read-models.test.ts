import { expect } from 'chai';
import type { EventMetadata, JsonObject, RecordedEvent } from '../../ports/event-store.ts';
import { balancesReadModel } from '../../projections/read-models/balances.ts';
import { historyEntryOf, historyReadModel } from '../../projections/read-models/history.ts';
import { usersReadModel } from '../../projections/read-models/users.ts';
import { walletReadModels } from '../../projections/wallet-read-models.ts';
import { projectEvent } from '../../projections/read-model.ts';
import { decodeHistoryCursor, encodeHistoryCursor } from '../../projections/history-cursor.ts';
import { walletUpdatesOf } from '../../projections/wallet-live-updates.ts';

const metadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: 'u1',
  schemaVersion: 1,
  timestamp: '2026-03-01T10:00:00.000Z',
  ...overrides,
});

let nextPosition = 1n;
const recorded = (
  type: string,
  data: JsonObject,
  overrides: Partial<RecordedEvent> = {},
): RecordedEvent => {
  const position = nextPosition++;
  return {
    id: `event-${position}`,
    type,
    data,
    metadata: metadata(),
    streamId: 'wallet-u1',
    revision: 0n,
    position,
    ...overrides,
  };
};

const deposit = recorded('FundsDeposited', {
  userId: 'u1',
  currency: 'USD',
  amount: '100.5',
  balance: '150.5',
});
const withdrawal = recorded('FundsWithdrawn', {
  userId: 'u1',
  currency: 'USD',
  amount: '50',
  balance: '100.5',
});
const buy = recorded('CryptoBought', {
  userId: 'u1',
  currency: 'BTC',
  amount: '0.00163',
  quoteCurrency: 'USD',
  cost: '100',
  rate: '0.0000163',
  rateAt: '2026-03-01T09:59:59.000Z',
  price: '61349.7',
  balances: { USD: '0.5', BTC: '0.00163' },
});
const sell = recorded('CryptoSold', {
  userId: 'u1',
  currency: 'BTC',
  amount: '0.001',
  quoteCurrency: 'USD',
  proceeds: '61.34',
  rate: '0.0000163',
  rateAt: '2026-03-01T10:00:01.000Z',
  price: '61349.69',
  balances: { USD: '61.84', BTC: '0.00063' },
});

describe('read models: mapping events to documents', function () {
  describe('balances', function () {
    it('a deposit or withdrawal writes the balance of its currency', function () {
      expect(balancesReadModel.project(deposit)).to.deep.equal([
        {
          collection: 'balances',
          id: 'u1:USD',
          doc: {
            userId: 'u1',
            currency: 'USD',
            amount: '150.5',
            revision: String(deposit.revision),
          },
          position: deposit.position,
        },
      ]);
      expect(balancesReadModel.project(withdrawal)).to.deep.equal([
        {
          collection: 'balances',
          id: 'u1:USD',
          doc: {
            userId: 'u1',
            currency: 'USD',
            amount: '100.5',
            revision: String(withdrawal.revision),
          },
          position: withdrawal.position,
        },
      ]);
    });

    it('a buy or sell writes both legs', function () {
      for (const trade of [buy, sell]) {
        const balances = trade.data.balances as Record<string, string>;
        expect(balancesReadModel.project(trade)).to.deep.equal([
          {
            collection: 'balances',
            id: 'u1:USD',
            doc: {
              userId: 'u1',
              currency: 'USD',
              amount: balances.USD,
              revision: String(trade.revision),
            },
            position: trade.position,
          },
          {
            collection: 'balances',
            id: 'u1:BTC',
            doc: {
              userId: 'u1',
              currency: 'BTC',
              amount: balances.BTC,
              revision: String(trade.revision),
            },
            position: trade.position,
          },
        ]);
      }
    });
  });

  describe('history', function () {
    const common = { userId: 'u1', at: '2026-03-01T10:00:00.000Z', correlationId: 'corr-1' };

    it('a deposit and a withdrawal become entries with the resulting balance', function () {
      expect(historyReadModel.project(deposit)).to.deep.equal([
        {
          collection: 'history',
          id: deposit.id,
          doc: { ...common, currency: 'USD', amount: '100.5', type: 'deposit', balance: '150.5' },
          position: deposit.position,
        },
      ]);
      const [written] = historyReadModel.project(withdrawal);
      expect(written?.doc).to.deep.equal({
        ...common,
        currency: 'USD',
        amount: '50',
        type: 'withdrawal',
        balance: '100.5',
      });
    });

    it('a buy records cost, rate, price and both balances', function () {
      const [written] = historyReadModel.project(buy);
      expect(written?.id).to.equal(buy.id);
      expect(written?.doc).to.deep.equal({
        ...common,
        type: 'buy',
        currency: 'BTC',
        amount: '0.00163',
        quoteCurrency: 'USD',
        cost: '100',
        rate: '0.0000163',
        rateAt: '2026-03-01T09:59:59.000Z',
        price: '61349.7',
        balances: { USD: '0.5', BTC: '0.00163' },
      });
    });

    it('a sell records proceeds instead of cost', function () {
      const [written] = historyReadModel.project(sell);
      expect(written?.doc).to.include({ type: 'sell', proceeds: '61.34', currency: 'BTC' });
      expect(written?.doc).to.not.have.property('cost');
    });

    it('shows entries without the owner, with id and position as text', function () {
      const [written] = historyReadModel.project(deposit);
      const entry = historyEntryOf(deposit.id, deposit.position, written?.doc as never);
      expect(entry).to.deep.equal({
        id: deposit.id,
        type: 'deposit',
        currency: 'USD',
        amount: '100.5',
        balance: '150.5',
        at: common.at,
        correlationId: 'corr-1',
        position: String(deposit.position),
      });
    });
  });

  describe('users', function () {
    const profile = {
      userId: 'u1',
      mail: 'ada@example.com',
      name: 'Ada',
      lastName: 'Lovelace',
      registeredAt: '2026-03-01T09:00:00.000Z',
    };

    it('a completed registration creates the user with the base role', function () {
      const completed = recorded('RegistrationCompleted', { ...profile, passwordHash: 'secret' });
      expect(usersReadModel.project(completed)).to.deep.equal([
        { collection: 'users', id: 'u1', doc: profile, position: completed.position },
        {
          collection: 'user_roles',
          id: 'u1:user',
          doc: { userId: 'u1', role: 'user', granted: true },
          position: completed.position,
        },
      ]);
    });

    it('never copies the password hash', function () {
      const completed = recorded('RegistrationCompleted', { ...profile, passwordHash: 'secret' });
      const json = JSON.stringify(usersReadModel.project(completed).map(({ doc }) => doc));
      expect(json).to.not.include('secret');
    });

    it('the account stream writes the profile and grants and revokes roles', function () {
      const registered = recorded('UserRegistered', profile);
      expect(usersReadModel.project(registered)).to.deep.equal([
        { collection: 'users', id: 'u1', doc: profile, position: registered.position },
      ]);
      const grant = {
        userId: 'u1',
        role: 'admin',
        grantedBy: 'u0',
        grantedAt: profile.registeredAt,
      };
      const granted = recorded('RoleGranted', grant);
      expect(usersReadModel.project(granted)).to.deep.equal([
        {
          collection: 'user_roles',
          id: 'u1:admin',
          doc: { userId: 'u1', role: 'admin', granted: true },
          position: granted.position,
        },
      ]);
      const revoke = {
        userId: 'u1',
        role: 'admin',
        revokedBy: 'u0',
        revokedAt: profile.registeredAt,
      };
      const revoked = recorded('RoleRevoked', revoke);
      expect(usersReadModel.project(revoked)[0]?.doc).to.deep.equal({
        userId: 'u1',
        role: 'admin',
        granted: false,
      });
    });

    it('verification events write nothing', function () {
      for (const type of ['VerificationCodeIssued', 'VerificationFailed', 'VerificationBlocked']) {
        expect(usersReadModel.project(recorded(type, { mail: profile.mail }))).to.deep.equal([]);
      }
    });
  });

  describe('the projection as a whole', function () {
    it('skips event types it does not know (later features)', function () {
      const transfer = recorded('TransferRequested', { transferId: 't1', amount: '5' });
      expect(projectEvent(walletReadModels, transfer)).to.deep.equal([]);
    });

    it('refuses an event written by a newer schema version instead of guessing', function () {
      const future = { ...deposit, metadata: metadata({ schemaVersion: 99 }) };
      expect(() => projectEvent(walletReadModels, future)).to.throw(RangeError, /newer/);
    });

    it('maps one wallet event to a balance and a history entry', function () {
      const collections = projectEvent(walletReadModels, deposit).map((w) => w.collection);
      expect(collections).to.deep.equal(['balances', 'history']);
    });
  });

  describe('live wallet updates', function () {
    it('carry the full wallet as of each event, folded over the batch', function () {
      const before = new Map([['u1', { USD: '50', ETH: '2' }]]);
      const messages = walletUpdatesOf([deposit, buy], before);
      expect(messages.map((m) => m.balances)).to.deep.equal([
        { USD: '150.5', ETH: '2' },
        { USD: '0.5', BTC: '0.00163', ETH: '2' },
      ]);
      expect(messages.map((m) => m.position)).to.deep.equal([
        String(deposit.position),
        String(buy.position),
      ]);
      expect(messages[1]?.entry).to.include({ id: buy.id, type: 'buy', cost: '100' });
      expect(messages.every((m) => m.userId === 'u1')).to.equal(true);
    });
  });

  describe('history cursors', function () {
    it('round-trip a position and refuse anything else', function () {
      expect(decodeHistoryCursor(encodeHistoryCursor(1234567890123n))).to.equal(1234567890123n);
      for (const bad of ['', 'not a cursor', Buffer.from('-1').toString('base64url'), 'AAAA']) {
        expect(() => decodeHistoryCursor(bad), bad).to.throw(/cursor/);
      }
    });
  });
});
