/**
 * 200 concurrent withdrawals of 1 USD from a wallet holding 100 USD, spread over both
 * write-api replicas (separate processes appending to one event store): exactly 100 may land
 * and the balance must end at 0. Shared by the mocha test and `npm run e2e:distributed`.
 */
import { expect } from 'chai';
import {
  eventually,
  httpClient,
  uniqueMail,
  type Balances,
  type JsonRecord,
  type Problem,
  type TokenPair,
  type WalletAnswer,
} from '../support/http-client.ts';
import type { DistributedSystem } from './distributed-system.ts';

export interface WithdrawalsResult {
  /** Accepted withdrawals per write-api replica. */
  acceptedBy: [number, number];
  /** Refusals by status and code, e.g. `{ "422 insufficient_funds": 100 }`. */
  refused: Record<string, number>;
  balance: Balances;
}

export const withdrawalsAcrossReplicas = async (
  system: DistributedSystem,
): Promise<WithdrawalsResult> => {
  const writers = system.writeApis.map((replica) => httpClient(replica.process.baseUrl));
  const [write1, write2] = writers as [(typeof writers)[0], (typeof writers)[0]];
  const reader = httpClient(system.readApis[0].process.baseUrl);

  const mail = uniqueMail('withdrawals');
  const person = { name: 'Ada', lastName: 'Lovelace', mail, password: 'a long enough password' };
  expect((await write1.post('/api/user/register', person)).status).to.equal(200);
  const { code } = await eventually(
    `the code mail to ${mail}`,
    async () => system.smtp.received.find((m) => m.to.includes(mail)),
    20_000,
    100,
  );
  const created = await write2.post<JsonRecord>('/api/user/register', {
    ...person,
    verification: code,
  });
  expect(created.status, created.text).to.equal(201);
  const login = await write1.post<TokenPair>('/api/user/login', {
    mail,
    password: person.password,
  });
  expect(login.status, login.text).to.equal(200);
  const { token, userId } = login.body;
  const funded = await write2.post<WalletAnswer>(
    '/api/user/wallet/deposit',
    { amount: '100' },
    { token },
  );
  expect(funded.status, funded.text).to.equal(200);

  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, index) =>
      (index % 2 === 0 ? write1 : write2).post<WalletAnswer | Problem>(
        '/api/user/wallet/withdraw',
        { amount: '1' },
        { token },
      ),
    ),
  );
  const acceptedBy: [number, number] = [0, 0];
  const refused: Record<string, number> = {};
  let position = 0n;
  answers.forEach((answer, index) => {
    if (answer.status === 200) {
      acceptedBy[index % 2 === 0 ? 0 : 1] += 1;
      const at = BigInt((answer.body as WalletAnswer).position);
      if (at > position) position = at;
    } else {
      const key = `${answer.status} ${(answer.body as Problem).code}`;
      refused[key] = (refused[key] ?? 0) + 1;
    }
  });
  const balance = await reader.get<Balances>('/api/user/wallet/balance', {
    token,
    headers: { 'X-Min-Position': position.toString() },
  });
  expect(balance.status, balance.text).to.equal(200);
  expect(userId).to.be.a('string');
  return { acceptedBy, refused, balance: balance.body };
};
