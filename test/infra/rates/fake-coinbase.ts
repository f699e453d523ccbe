import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for api.coinbase.com: answers `GET /v2/exchange-rates` with whatever
 * `reply` says at that moment, so a test can switch faults on and off while a source polls.
 */

export type Reply = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface FakeCoinbase {
  baseUrl: string;
  /** Every request seen, oldest first. */
  requests: { url: string; accept: string | undefined }[];
  /** Statuses (or 'dropped') of the answers given, oldest first. */
  answers: (number | 'dropped')[];
  reply: Reply;
  close(): Promise<void>;
}

/** Typical USD rates in Coinbase's shape: strings, long fractions, and more codes than we use. */
export const REAL_RATES: Readonly<Record<string, string>> = {
  AED: '3.6725',
  JPY: '156.87',
  SHIB: '40816.32653061224',
  USD: '1.0',
  EUR: '0.92',
  GBP: '0.79',
  BTC: '0.000016300',
  ETH: '0.0003125',
  LTC: '0.0125',
  BCH: '0.0025',
  XRP: '1.8181818181818181818',
  ADA: '2.2222222222222222',
  SOL: '0.0066666666666667',
  DOT: '0.14285714285714285',
  DOGE: '6.6666666666666667',
  AVAX: '0.0333333333333333',
  POL: '2.0',
  LINK: '0.0666666666666667',
  XLM: '9.0909090909090909',
  ATOM: '0.125',
  ALGO: '5.5555555555555556',
  TRX: '7.6923076923076923',
  XTZ: '1.1111111111111111',
  ETC: '0.04',
  USDC: '1.0001',
  USDT: '0.9998',
};

export const ratesBody = (rates: Record<string, unknown>): string =>
  JSON.stringify({ data: { currency: 'USD', rates } });

export const answer =
  (body: string, status = 200, headers: Record<string, string> = {}): Reply =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };

export const ratesReply = (changes: Record<string, unknown> = {}): Reply =>
  answer(ratesBody({ ...REAL_RATES, ...changes }));

/** Answers with `then` after `delayMs`, unless the client has hung up by then. */
export const slowly =
  (delayMs: number, then: Reply): Reply =>
  (request, response) => {
    const timer = setTimeout(() => then(request, response), delayMs);
    response.on('close', () => clearTimeout(timer));
  };

/** Drops the connection without an answer, as a network failure would. */
export const hangUp: Reply = (request) => request.socket.destroy();

export const startFakeCoinbase = async (): Promise<FakeCoinbase> => {
  const fake: FakeCoinbase = {
    baseUrl: '',
    requests: [],
    answers: [],
    reply: ratesReply(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((request, response) => {
    fake.requests.push({ url: request.url ?? '', accept: request.headers.accept });
    response.on('finish', () => fake.answers.push(response.statusCode));
    response.on('close', () => {
      if (!response.writableFinished) fake.answers.push('dropped');
    });
    fake.reply(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
};
