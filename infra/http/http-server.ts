import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface RunningHttpServer {
  server: Server;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish (keep-alive sockets are
   * closed as soon as they go idle) and cuts whatever is still open after `timeoutMs`.
   */
  close(timeoutMs: number): Promise<void>;
}

export const listen = async (
  handler: RequestListener,
  host: string,
  port: number,
): Promise<RunningHttpServer> => {
  const server = createServer(handler);
  // Slow-loris guards; a request that takes longer than this to arrive is cut.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
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
