import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { readText } from './deployment-files.ts';

/**
 * Runs deploy/nginx/gateway.conf in a real nginx, with the Compose service names swapped for
 * fake upstreams on loopback ports, to check routing, ids, the sign-in limit and the problems
 * the gateway answers itself. Needs an nginx binary: `nginx` on PATH, or NGINX_BIN.
 */

const NGINX = process.env.NGINX_BIN ?? 'nginx';

const nginxUnavailableReason = (): string | null => {
  const probe = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  if (probe.error) return `no nginx binary (${NGINX}): ${probe.error.message}; set NGINX_BIN`;
  if (probe.status !== 0) return `${NGINX} -v exited with ${String(probe.status)}`;
  return null;
};

const listenOnFreePort = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });

const freePort = async (): Promise<number> => {
  const server = createServer();
  const port = await listenOnFreePort(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
};

interface Echo {
  service: string;
  method: string;
  url: string;
  requestId: string | undefined;
  forwardedFor: string | undefined;
}

/** A stand-in for one Compose service: answers with its name and what it was asked. */
const fakeService = async (service: string): Promise<{ server: Server; port: number }> => {
  const server = createServer((req: IncomingMessage, res) => {
    const status = Number(req.headers['x-fake-status'] ?? 200);
    const echo: Echo = {
      service,
      method: req.method ?? '',
      url: req.url ?? '',
      requestId: req.headers['x-request-id'] as string | undefined,
      forwardedFor: req.headers['x-forwarded-for'] as string | undefined,
    };
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  const sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket, req) => socket.send(`${service} ${req.url ?? ''}`));
  return { server, port: await listenOnFreePort(server) };
};

const waitForPort = async (port: number, child: ChildProcess, stderr: () => string) => {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr()}`);
};

describe('the nginx gateway', function () {
  let dir: string;
  let nginx: ChildProcess | undefined;
  let base: string;
  let nginxStderr = '';
  const services = new Map<string, { server: Server; port: number }>();

  before(async function () {
    const reason = nginxUnavailableReason();
    if (reason !== null) {
      console.log(`    skipping the gateway tests: ${reason}`);
      this.skip();
    }
    for (const name of ['write-api', 'read-api', 'projector']) {
      services.set(name, await fakeService(name));
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    let config = readText('deploy/nginx/gateway.conf').replace(
      /listen 80;/,
      `listen 127.0.0.1:${port};`,
    );
    for (const [name, { port: servicePort }] of services) {
      const from = `http://${name}:3000;`;
      expect(config, `gateway.conf routes to ${name}`).to.include(from);
      config = config.replaceAll(from, `http://127.0.0.1:${servicePort};`);
    }
    dir = mkdtempSync(join(tmpdir(), 'cambio-gateway-'));
    writeFileSync(join(dir, 'gateway.conf'), config);
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'daemon off;',
        'master_process off;',
        `pid ${join(dir, 'nginx.pid')};`,
        'error_log stderr warn;',
        'events {}',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `  ${kind}_temp_path ${join(dir, kind)};`,
        ),
        `  include ${join(dir, 'gateway.conf')};`,
        '}',
      ].join('\n'),
    );
    const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx = child;
    child.stderr?.on('data', (chunk: Buffer) => (nginxStderr += chunk.toString()));
    await waitForPort(port, child, () => nginxStderr);
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx?.once('exit', resolve));
      nginx.kill('SIGTERM');
      await exited;
    }
    for (const { server } of services.values()) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  };

  it('routes commands and sign-in to write-api, queries and the console to read-api, admin to the projector', async () => {
    const routes: [string, string, string][] = [
      ['POST', '/api/user/register', 'write-api'],
      ['POST', '/api/user/logout', 'write-api'],
      ['POST', '/api/user/wallet/deposit', 'write-api'],
      ['POST', '/api/user/wallet/buy', 'write-api'],
      ['GET', '/api/audit/events?after=0', 'write-api'],
      ['GET', '/docs', 'write-api'],
      ['GET', '/api/user/me', 'read-api'],
      ['GET', '/api/user/wallet/balance', 'read-api'],
      ['GET', '/api/user/wallet/history?limit=5&cursor=abc', 'read-api'],
      ['POST', '/api/user/wallet/transfer', 'write-api'],
      ['POST', '/api/user/wallet/deposit-intents', 'write-api'],
      ['POST', '/api/payments/callback', 'write-api'],
      ['GET', '/api/user/wallet/transfers?limit=5', 'read-api'],
      ['GET', '/api/user/wallet/transfers/0b7c1e4e-2f0a-4c1e-9a53-0c5b2d3e4f60', 'read-api'],
      ['GET', '/api/exchange-rates?currency=USD', 'read-api'],
      ['GET', '/app', 'read-api'],
      ['GET', '/app/app-0123.js', 'read-api'],
      ['GET', '/api/admin/projections', 'projector'],
      ['GET', '/api/admin/mail/parked', 'projector'],
    ];
    for (const [method, path, service] of routes) {
      const { status, text } = await ask(method, path);
      expect(status, `${method} ${path}`).to.equal(200);
      const echo = JSON.parse(text) as Echo;
      expect(echo.service, `${method} ${path}`).to.equal(service);
      expect(echo.method).to.equal(method);
      expect(echo.url, 'path and query reach the service unchanged').to.equal(path);
    }
  });

  it("passes the client's X-Request-Id on, and makes one when there is none", async () => {
    const given = JSON.parse(
      (await ask('GET', '/api/user/me', { 'X-Request-Id': 'abc-123' })).text,
    ) as Echo;
    expect(given.requestId).to.equal('abc-123');
    const made = JSON.parse((await ask('GET', '/api/user/me')).text) as Echo;
    expect(made.requestId).to.match(/^[0-9a-f]{32}$/);
    expect(made.forwardedFor).to.equal('127.0.0.1');
  });

  it('carries websocket upgrades on both endpoints to read-api', async () => {
    for (const path of ['/ws/exchange-rates', '/ws']) {
      const socket = new WebSocket(`${base.replace('http', 'ws')}${path}`);
      const message = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data: Buffer) => resolve(data.toString()));
        socket.once('error', reject);
      });
      socket.close();
      expect(message).to.equal(`read-api ${path}`);
    }
  });

  it("leaves a service's own error answers untouched", async () => {
    const { status, text } = await ask('GET', '/api/user/me', { 'X-Fake-Status': '503' });
    expect(status).to.equal(503);
    expect((JSON.parse(text) as Echo).service).to.equal('read-api');
  });

  it('limits sign-in per client address with a 429 problem', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof ask>> | undefined;
    for (let attempt = 0; attempt < 150 && limited === undefined; attempt += 1) {
      const answer = await ask('POST', '/api/user/login');
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses.slice(0, 100).every((status) => status === 200)).to.equal(true);
    expect(limited, 'a 429 after the burst').to.not.equal(undefined);
    expect(limited?.headers.get('content-type')).to.equal('application/problem+json');
    expect(limited?.headers.get('retry-after')).to.equal('60');
    expect(JSON.parse(limited?.text ?? '{}')).to.include({
      status: 429,
      code: 'too_many_requests',
    });
    // Other routes are not limited by sign-in traffic.
    expect((await ask('GET', '/api/user/me')).status).to.equal(200);
    // No other spelling of a sign-in route escapes the limit.
    for (const path of [
      '/api/user/login/',
      '/api/user/login//',
      '/API/USER/LOGIN',
      '/Api/User/Register',
      '/api/user/refresh/',
      '//api/user/login',
      '/api/user/./login',
      '/api/user/log%69n',
      '/api/user/login?x=1',
    ]) {
      const answer = await ask('POST', path);
      expect(answer.status, path).to.equal(429);
    }
  });

  it('sends read routes with a trailing slash to read-api, without the slash', async () => {
    for (const [path, forwarded] of [
      ['/api/user/me/', '/api/user/me'],
      ['/api/user/wallet/balance/', '/api/user/wallet/balance'],
      ['/api/user/wallet/history//?limit=5', '/api/user/wallet/history?limit=5'],
      ['/api/exchange-rates/?currency=USD', '/api/exchange-rates?currency=USD'],
    ]) {
      const { status, text } = await ask('GET', path as string);
      expect(status, path).to.equal(200);
      const echo = JSON.parse(text) as Echo;
      expect(echo.service, path).to.equal('read-api');
      expect(echo.url, path).to.equal(forwarded);
    }
  });

  it('never forwards /metrics, in any spelling', async () => {
    for (const path of ['/metrics', '/metrics/', '/METRICS', '/Metrics?x=1']) {
      const { status, headers } = await ask('GET', path);
      expect(status, path).to.equal(404);
      expect(headers.get('content-type')).to.equal('application/problem+json');
    }
  });

  it('answers 503 problem+json with Retry-After when no replica of a service answers', async () => {
    const projector = services.get('projector');
    projector?.server.closeAllConnections();
    await new Promise((resolve) => projector?.server.close(resolve));
    const { status, headers, text } = await ask('GET', '/api/admin/projections');
    expect(status).to.equal(503);
    expect(headers.get('content-type')).to.equal('application/problem+json');
    expect(headers.get('retry-after')).to.equal('5');
    expect(JSON.parse(text)).to.include({ status: 503, code: 'unavailable' });
  });
});
