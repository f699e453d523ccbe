import { expect } from 'chai';
import { CambioProcess, runCambio } from '../support/cambio-process.ts';
import { httpClient, login, registerAndLogin, type HttpClient } from '../support/http-client.ts';

interface CpuProfileJson {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

describe('e2e: profiling on demand', function () {
  this.timeout(90_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let adminToken: string;
  let userToken: string;

  before(async () => {
    cambio = await CambioProcess.start({ env: { PROFILING: 'on' } });
    client = httpClient(cambio.baseUrl);
    const admin = await registerAndLogin(client, cambio.outboxDir, { name: 'Ada' });
    const granted = await runCambio([
      'users',
      'grant-role',
      admin.mail,
      'admin',
      '--data-dir',
      cambio.dataDir,
    ]);
    expect(granted.code, granted.stderr).to.equal(0);
    adminToken = (await login(client, admin.mail, admin.password)).token;
    userToken = (await registerAndLogin(client, cambio.outboxDir, { name: 'Bob' })).token;
  });
  after(async () => {
    await cambio?.cleanup();
  });

  it('gives an admin a CPU profile of the running server over the seconds asked, with its code in it', async () => {
    const profiling = client.post<CpuProfileJson>('/api/admin/profile/cpu?seconds=2', undefined, {
      token: adminToken,
    });
    // Work for the profiler to see: requests through the HTTP stack while it samples.
    const busyUntil = Date.now() + 1500;
    while (Date.now() < busyUntil) {
      await Promise.all(
        Array.from({ length: 5 }, () =>
          client.get('/api/user/wallet/balance', { token: userToken }),
        ),
      );
    }
    const response = await profiling;
    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('content-disposition')).to.match(
      /^attachment; filename="?cambio-all-\d+-[^"]+\.cpuprofile"?$/,
    );
    const profile = response.body;
    expect(profile.endTime - profile.startTime).to.be.within(1.9e6, 10e6);
    expect(profile.samples.length).to.be.above(10);
    const urls = new Set(profile.nodes.map((node) => node.callFrame.url));
    expect([...urls].some((url) => url.includes('/infra/http/'))).to.equal(true);
  });

  it('gives an admin a heap snapshot of the running server', async () => {
    const response = await client.post('/api/admin/profile/heap', undefined, { token: adminToken });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-disposition')).to.match(/\.heapsnapshot"?$/);
    const snapshot = response.body as {
      snapshot: { meta: { node_fields: string[] }; node_count: number };
      strings: string[];
    };
    expect(snapshot.snapshot.meta.node_fields).to.include('name');
    expect(snapshot.snapshot.node_count).to.be.above(10_000);
    expect(snapshot.strings).to.include('CommandHandler');
  });

  it('refuses anyone but an admin, and a duration out of range, with problem+json', async () => {
    const anonymous = await client.post('/api/admin/profile/cpu?seconds=1');
    expect(anonymous.status).to.equal(401);
    const user = await client.post('/api/admin/profile/heap', undefined, { token: userToken });
    expect(user.status).to.equal(403);
    for (const seconds of ['0', '301', 'ten']) {
      const bad = await client.post(`/api/admin/profile/cpu?seconds=${seconds}`, undefined, {
        token: adminToken,
      });
      expect(bad.status, seconds).to.equal(400);
      expect(bad.contentType).to.equal('application/problem+json');
      expect(JSON.stringify(bad.body.errors), seconds).to.include('seconds');
    }
  });

  it('takes one profile at a time: a second request meanwhile gets 409', async () => {
    const first = client.post('/api/admin/profile/cpu?seconds=1', undefined, { token: adminToken });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await client.post('/api/admin/profile/cpu?seconds=1', undefined, {
      token: adminToken,
    });
    expect(second.status).to.equal(409);
    expect((await first).status).to.equal(200);
  });

  it('has no profiling routes unless PROFILING=on', async () => {
    const plain = await CambioProcess.start();
    try {
      const response = await httpClient(plain.baseUrl).post('/api/admin/profile/heap');
      expect(response.status).to.equal(404);
    } finally {
      await plain.cleanup();
    }
  });
});
