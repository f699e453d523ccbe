import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemType } from './problem.ts';

/**
 * Answers on a socket that express never saw (the HTTP parser refused the request, a websocket
 * upgrade is refused) with a complete problem+json response, then closes the connection.
 */
export const writeRawProblem = (
  socket: Duplex,
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): void => {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const title = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ type: problemType(code), title, status, detail, code });
  const lines = [
    `HTTP/1.1 ${status} ${title}`,
    'Connection: close',
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  // A peer that never reads the answer must not keep the socket open.
  setTimeout(() => socket.destroy(), 1000).unref();
};
