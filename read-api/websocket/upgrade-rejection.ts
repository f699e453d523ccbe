import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { problemType } from '../../infra/http/problem.ts';

/**
 * Refuses a websocket upgrade with a plain HTTP answer (a problem+json body, like every other
 * error of the API) and closes the connection. Used before the handshake is accepted, when
 * the socket is still speaking HTTP.
 */
export const rejectUpgrade = (
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
