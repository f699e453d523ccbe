import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import { pino } from 'pino';
import { accessLog, requestLoggerOnDemand } from '../../../infra/http/access-log.ts';
import { listen } from '../../../infra/http/http-server.ts';

/** An express app logging into memory; one JSON object per log line. */
const appLoggingAt = async (level: string) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level }, sink);
  const app = express();
  requestLoggerOnDemand(app.request, logger);
  app.use(accessLog(logger, { ignore: (url) => url === '/health' }));
  app.get('/health', (_req, res) => void res.json({}));
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  app.get('/missing', (_req, res) => void res.status(404).json({}));
  app.get('/boom', (req, res) => {
    req.log.error('about to fail');
    res.locals.serverFault = true;
    res.status(500).json({});
  });
  app.get('/down', (_req, res) => void res.status(503).json({}));
  const http = await listen(app, '127.0.0.1', 0);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${http.port}${path}`, { headers });
    await response.text();
    await new Promise((resolve) => setTimeout(resolve, 20)); // 'close' follows the answer
    return response;
  };
  return { lines, get, close: () => http.close(1000) };
};

describe('http: access log', () => {
  it('logs each finished request once, in pino-http shape, with the request id it echoed', async () => {
    const app = await appLoggingAt('info');
    try {
      const response = await app.get('/ok', { 'X-Request-Id': 'trace-1' });
      expect(response.headers.get('x-request-id')).to.equal('trace-1');
      expect(app.lines).to.have.length(1);
      expect(app.lines[0]).to.deep.include({
        level: 30,
        msg: 'request completed',
        req: { id: 'trace-1', method: 'GET', url: '/ok' },
        res: { statusCode: 200 },
      });
      expect(app.lines[0]!.responseTime).to.be.a('number');

      await app.get('/health');
      expect(app.lines, 'ignored probe').to.have.length(1);
      await app.get('/missing');
      expect(app.lines[1]).to.deep.include({ level: 40, res: { statusCode: 404 } });
      // A dependency that is down is a warning, not a server fault.
      await app.get('/down');
      expect(app.lines[2]).to.deep.include({ level: 40, res: { statusCode: 503 } });
    } finally {
      await app.close();
    }
  });

  it('writes nothing for a success below the level, and req.log carries the request', async () => {
    const app = await appLoggingAt('warn');
    try {
      await app.get('/ok');
      expect(app.lines).to.have.length(0);
      await app.get('/boom', { 'X-Request-Id': 'trace-2' });
      expect(app.lines.map((line) => line.msg)).to.deep.equal(['about to fail', 'request errored']);
      expect(app.lines[0]).to.deep.include({
        level: 50,
        req: { id: 'trace-2', method: 'GET', url: '/boom' },
      });
      expect(app.lines[1]).to.deep.include({ level: 50, res: { statusCode: 500 } });
    } finally {
      await app.close();
    }
  });
});
