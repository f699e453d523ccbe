import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemType } from './problem.ts';
import { writeRawProblem } from './raw-problem.ts';

export interface RunningHttpServer {
  server: Server;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (keep-alive sockets are
   * closed as soon as they go idle) and cuts whatever is still open after `timeoutMs`.
   */
  close(timeoutMs: number): Promise<void>;
}

/** What Node's HTTP parser refused, as the status Node itself would have answered. */
const parserProblem = (
  code: string | undefined,
): { status: number; code: string; detail: string } => {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'headers_too_large',
        detail: 'The request headers are larger than this server accepts.',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'body_too_large',
        detail: 'The chunk extensions of the request body are too large.',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        detail: 'The request did not arrive in time.',
      };
    default:
      return { status: 400, code: 'malformed_request', detail: 'The request is not valid HTTP.' };
  }
};

/**
 * Requests express never sees still get problem+json: those Node's parser refuses
 * ('clientError': malformed HTTP, oversized headers, too slow) and those with an Expect the
 * server does not meet ('checkExpectation', else Node answers a bare 417).
 */
export const answerParserErrors = (server: Server): void => {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A peer that hung up, or a socket with an answer already under way, gets nothing more.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })
      ._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const problem = parserProblem(error.code);
    writeRawProblem(socket, problem.status, problem.code, problem.detail);
  });
  server.on('checkExpectation', (req, res) => {
    const detail = `Expect: ${String(req.headers.expect).slice(0, 100)} is not supported; only 100-continue is.`;
    const body = JSON.stringify({
      type: problemType('expectation_failed'),
      title: STATUS_CODES[417],
      status: 417,
      detail,
      code: 'expectation_failed',
    });
    res.writeHead(417, {
      'Content-Type': 'application/problem+json',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
    });
    res.end(body);
  });
};

export interface ListenOptions {
  /** Slow-loris guards: a request whose headers (or whole) take longer is cut with 408. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How often Node checks those timeouts. */
  timeoutCheckMs?: number;
}

export const listen = async (
  handler: RequestListener,
  host: string,
  port: number,
  options: ListenOptions = {},
): Promise<RunningHttpServer> => {
  const server = createServer(
    { connectionsCheckingInterval: options.timeoutCheckMs ?? 30_000 },
    handler,
  );
  server.headersTimeout = options.headersTimeoutMs ?? 15_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  answerParserErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        // A keep-alive socket goes idle when its last response finishes: close it then,
        // rather than waiting for the client to hang up.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
};
