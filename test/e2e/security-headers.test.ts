import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  registerAndLogin,
  type HttpClient,
  type NewUser,
} from '../support/http-client.ts';

describe('e2e: security headers and the metrics surface', function () {
  this.timeout(90_000);
  const metricsToken = 'metrics-token-0123456789';
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;
  let metricsUrl: string;

  before(async function () {
    cambio = await CambioProcess.start({
      env: { METRICS_PORT: '0', METRICS_TOKEN: metricsToken },
    });
    client = httpClient(() => cambio.baseUrl);
    user = await registerAndLogin(client, cambio.outboxDir);
    const line = cambio.logs().find((l) => l.msg.startsWith('cambio listening'));
    expect(line?.metricsPort, 'metrics port logged').to.be.a('number');
    metricsUrl = `http://127.0.0.1:${String(line?.metricsPort)}/metrics`;
  });

  after(async function () {
    await cambio?.cleanup();
  });

  it('sends nosniff on every answer, and a CSP that allows nothing on JSON answers', async function () {
    const answers = await Promise.all([
      client.get('/health'),
      client.get('/api/exchange-rates?currency=USD'),
      client.get('/no/such/route'),
      client.get('/api/user/me'),
      client.get('/openapi.json'),
    ]);
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options'), answer.text).to.equal('nosniff');
      expect(answer.headers.get('content-security-policy')).to.match(/^default-src 'none'/);
    }
  });

  it('marks token and account answers Cache-Control: no-store, and leaves public data cacheable', async function () {
    const login = await client.post('/api/user/login', {
      mail: user.mail,
      password: user.password,
    });
    const personal = [
      login,
      await client.post('/api/user/refresh', { refreshToken: user.refreshToken }),
      await client.get('/api/user/me', { token: user.token }),
      await client.get('/api/user/wallet/balance', { token: user.token }),
      await client.get('/api/user/wallet/history', { token: user.token }),
      await client.post('/api/user/wallet/deposit', { amount: '1' }, { token: user.token }),
      await client.get('/api/user/me'),
    ];
    for (const answer of personal) {
      expect(answer.headers.get('cache-control'), answer.text).to.equal('no-store');
    }
    const document = await client.get('/openapi.json');
    expect(document.headers.get('cache-control') ?? '').to.not.include('no-store');
  });

  it('gives the docs page a CSP of this origin only, with no inline script allowed but by hash', async function () {
    const page = await client.get('/docs');
    expect(page.status).to.equal(200);
    const policy = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = policy.split(';').find((d) => d.trim().startsWith('script-src')) ?? '';
    expect(scriptSrc).to.not.include('unsafe-inline');
    expect(policy).to.not.match(/https?:/);
    const inline = [...page.text.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
    for (const [, script] of inline) {
      const hash = createHash('sha256')
        .update(script ?? '')
        .digest('base64');
      expect(scriptSrc).to.include(`'sha256-${hash}'`);
    }
    expect(policy).to.include("frame-ancestors 'none'");
  });

  it('routes case-sensitively and drops a trailing slash before routing: no spelling escapes a route and its limits', async function () {
    const body = { mail: user.mail, password: user.password };
    for (const path of ['/API/USER/LOGIN', '/api/user/Login', '/API/user/login/']) {
      const answer = await client.post(path, body);
      expect(answer.status, path).to.equal(404);
    }
    // The seed's spelling with a slash is the same route, not another one.
    expect((await client.get('/api/user/me/', { token: user.token })).status).to.equal(200);
    expect((await client.post('/api/user/login/', body)).status).to.equal(200);
    expect((await client.post('/api/user/login', body)).status).to.equal(200);
  });

  it('serves /metrics only on its own listener (METRICS_PORT), and only with the token (METRICS_TOKEN)', async function () {
    expect((await client.get('/metrics')).status).to.equal(404);
    expect((await fetch(metricsUrl)).status).to.equal(401);
    const wrong = await fetch(metricsUrl, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).to.equal(401);
    const scraped = await fetch(metricsUrl, {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(scraped.status).to.equal(200);
    expect(await scraped.text()).to.include('cambio_http_request_duration_seconds');
    expect((await fetch(metricsUrl.replace('/metrics', '/health'))).status).to.equal(404);
  });
});
