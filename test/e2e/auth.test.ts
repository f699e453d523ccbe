import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { loadKeys } from '../../infra/auth/secrets.ts';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  httpClient,
  login,
  registerAndLogin,
  uniqueMail,
  type HttpClient,
  type HttpResponse,
  type NewUser,
  type Problem,
  type TokenPair,
} from '../support/http-client.ts';

const base64url = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

interface Claims {
  sub: string;
  sid: string;
  roles: string[];
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

describe('e2e: authentication', function () {
  this.timeout(60_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  let user: NewUser;
  let signingKey: Buffer;
  let claims: Claims;

  before(async function () {
    cambio = await CambioProcess.start();
    client = httpClient(() => cambio.baseUrl);
    user = await registerAndLogin(client, cambio.outboxDir);
    // The server's own key, derived the way the server derives it from the data dir's secret.
    signingKey = loadKeys('', cambio.dataDir).accessToken;
    claims = jwt.decode(user.token) as Claims;
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(60));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  const balanceWith = (token: string) => client.get('/api/user/wallet/balance', { token });

  /** `bearer`: the credential was an access token, so the challenge header is due too. */
  const expectUnauthorized = (response: HttpResponse<Problem>, what: string, bearer = true) => {
    expect(response.status, `${what}: ${response.text}`).to.equal(401);
    expect(response.contentType, what).to.equal('application/problem+json');
    expect(response.body.status, what).to.equal(401);
    expect(response.body.type, what).to.be.a('string');
    if (bearer) expect(response.headers.get('www-authenticate'), what).to.match(/^Bearer/);
    // Nothing about the wallet leaks into a refusal.
    expect(response.text, what).not.to.include('USD');
  };

  /** Signs `payload` with the server's key and algorithm; `options` may spoil one property. */
  const sign = (payload: object, options: jwt.SignOptions = {}) =>
    jwt.sign(payload, signingKey, { algorithm: 'HS256', ...options });

  const validPayload = () => ({
    sub: claims.sub,
    sid: claims.sid,
    roles: claims.roles,
    iss: claims.iss,
    aud: claims.aud,
  });

  describe('access tokens', function () {
    it('the real token works, and so does one signed here with the derived key (the key is right)', async function () {
      expect((await balanceWith(user.token)).status).to.equal(200);
      expect((await balanceWith(sign(validPayload(), { expiresIn: 60 }))).status).to.equal(200);
    });

    it('refuses a missing or malformed Authorization header', async function () {
      expectUnauthorized(await client.get<Problem>('/api/user/wallet/balance'), 'no header');
      for (const header of [
        'Basic dXNlcjpwYXNz',
        'Bearer',
        `Bearer ${user.token} extra`,
        'token',
      ]) {
        const response = await client.get<Problem>('/api/user/wallet/balance', {
          headers: { authorization: header },
        });
        expectUnauthorized(response, header);
      }
    });

    it('refuses a token with alg "none"', async function () {
      const now = Math.floor(Date.now() / 1000);
      const payload = { ...validPayload(), iat: now, exp: now + 600 };
      for (const alg of ['none', 'None', 'NONE']) {
        const token = `${base64url({ alg, typ: 'JWT' })}.${base64url(payload)}.`;
        expectUnauthorized(await client.get<Problem>('/api/user/wallet/balance', { token }), alg);
      }
      // The same header with the real signature appended is refused too.
      const signature = user.token.split('.')[2] ?? '';
      const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.${signature}`;
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token }),
        'none+sig',
      );
    });

    it('refuses a tampered token (claims changed, signature kept)', async function () {
      const [header, , signature] = user.token.split('.');
      const tampered = [
        { ...claims, roles: ['user', 'admin'] },
        { ...claims, sub: '00000000-0000-4000-8000-000000000000' },
        { ...claims, exp: claims.exp + 86_400 },
      ];
      for (const payload of tampered) {
        const token = `${header}.${base64url(payload)}.${signature}`;
        expectUnauthorized(
          await client.get<Problem>('/api/user/wallet/balance', { token }),
          JSON.stringify(payload),
        );
      }
      // A flipped signature character.
      const last = user.token.at(-2) === 'A' ? 'B' : 'A';
      const flipped = `${user.token.slice(0, -2)}${last}${user.token.slice(-1)}`;
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: flipped }),
        'flipped',
      );
    });

    it('refuses an expired token', async function () {
      const now = Math.floor(Date.now() / 1000);
      const token = sign({ ...validPayload(), iat: now - 3600, exp: now - 60 });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token }),
        'expired',
      );
    });

    it('refuses a token for another audience or from another issuer', async function () {
      const { aud: _aud, iss: _iss, ...rest } = validPayload();
      const otherAudience = sign(rest, {
        expiresIn: 60,
        audience: 'another-api',
        issuer: claims.iss,
      });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: otherAudience }),
        'audience',
      );
      const otherIssuer = sign(rest, {
        expiresIn: 60,
        audience: claims.aud,
        issuer: 'someone-else',
      });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: otherIssuer }),
        'issuer',
      );
      const noAudience = sign(rest, { expiresIn: 60, issuer: claims.iss });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: noAudience }),
        'no audience',
      );
    });

    it('refuses another algorithm with the right key, and the right algorithm with another key', async function () {
      const hs512 = jwt.sign(validPayload(), signingKey, { algorithm: 'HS512', expiresIn: 60 });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: hs512 }),
        'HS512',
      );
      const otherKey = jwt.sign(validPayload(), Buffer.alloc(32, 7), {
        algorithm: 'HS256',
        expiresIn: 60,
      });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token: otherKey }),
        'other key',
      );
    });

    it('refuses a token signed with the right key but without a session id', async function () {
      const { sid: _sid, ...rest } = validPayload();
      const token = sign(rest, { expiresIn: 60 });
      expectUnauthorized(
        await client.get<Problem>('/api/user/wallet/balance', { token }),
        'no sid',
      );
    });
  });

  describe('refresh tokens and sessions', function () {
    const refresh = (refreshToken: string) =>
      client.post<TokenPair & Problem>('/api/user/refresh', { refreshToken });
    const expectRefused = (response: HttpResponse<Problem>, what: string) =>
      expectUnauthorized(response, what, false);

    it('rotation: each refresh token works once and yields a working pair', async function () {
      const session = await login(client, user.mail, user.password);
      const next = await refresh(session.refreshToken);
      expect(next.status, next.text).to.equal(200);
      expect(next.body.refreshToken).not.to.equal(session.refreshToken);
      expect(next.body.userId).to.equal(user.userId);
      expect((await balanceWith(next.body.token)).status).to.equal(200);

      const third = await refresh(next.body.refreshToken);
      expect(third.status, third.text).to.equal(200);
    });

    it('a reused refresh token revokes its session: the newest refresh token stops working too', async function () {
      const session = await login(client, user.mail, user.password);
      const second = await refresh(session.refreshToken);
      expect(second.status).to.equal(200);

      // The first token again, as a thief holding a copy would present it.
      const reuse = await refresh(session.refreshToken);
      expectRefused(reuse, 'reuse');

      const newest = await refresh(second.body.refreshToken);
      expectRefused(newest, 'newest after reuse');

      // Other sessions of the same user are not affected.
      const other = await login(client, user.mail, user.password);
      expect((await refresh(other.refreshToken)).status).to.equal(200);
    });

    it('refuses refresh tokens it never issued', async function () {
      const session = await login(client, user.mail, user.password);
      const [sessionId] = session.refreshToken.split('.');
      const forged = `${sessionId}.${'A'.repeat(43)}`;
      expectRefused(await refresh(forged), 'forged secret');
      const unknownSession = `00000000-0000-4000-8000-000000000000.${'A'.repeat(43)}`;
      expectRefused(await refresh(unknownSession), 'unknown session');
      const garbage = await refresh('not-a-token');
      expect([400, 401]).to.include(garbage.status);
      expect(garbage.contentType).to.equal('application/problem+json');
      // A wrong guess at a session's secret must not log its owner out.
      const real = await refresh(session.refreshToken);
      expect(real.status, real.text).to.equal(200);
    });

    it('logout ends the session: its refresh token stops working', async function () {
      const session = await login(client, user.mail, user.password);
      const out = await client.post('/api/user/logout', undefined, { token: session.token });
      expect(out.status, out.text).to.equal(204);
      expectRefused(await refresh(session.refreshToken), 'refresh after logout');
      // Logging out needs a token.
      expectUnauthorized(await client.post<Problem>('/api/user/logout'), 'logout without token');
      // Logging out again is harmless: 204 while this process has not yet heard of the end,
      // 401 once it has (test/e2e/session-revocation.test.ts).
      const again = await client.post('/api/user/logout', undefined, { token: session.token });
      expect(again.status, again.text).to.be.oneOf([204, 401]);
    });
  });

  describe('failed logins', function () {
    /** The body without what differs per request by design. */
    const comparable = (response: HttpResponse<Problem>) => {
      const { requestId: _requestId, ...rest } = response.body;
      return rest;
    };

    it('an unknown mail and a wrong password answer identically', async function () {
      const unknown = await client.post<Problem>('/api/user/login', {
        mail: uniqueMail('nobody'),
        password: user.password,
      });
      const wrong = await client.post<Problem>('/api/user/login', {
        mail: user.mail,
        password: `${user.password}!`,
      });
      expect(unknown.status, unknown.text).to.equal(401);
      expect(wrong.status, wrong.text).to.equal(401);
      expect(unknown.contentType).to.equal('application/problem+json');
      expect(wrong.contentType).to.equal(unknown.contentType);
      expect(comparable(wrong)).to.deep.equal(comparable(unknown));
      expect(wrong.text).not.to.include(user.mail);

      // A malformed address is just another unknown one.
      const malformed = await client.post<Problem>('/api/user/login', {
        mail: 'not-an-address',
        password: user.password,
      });
      expect(malformed.status).to.equal(401);
      expect(comparable(malformed)).to.deep.equal(comparable(unknown));
    });

    it('an account still waiting for its code cannot log in, and answers like an unknown one', async function () {
      const mail = uniqueMail('pending');
      const pending = await client.post('/api/user/register', {
        name: 'Pen',
        lastName: 'Ding',
        mail,
        password: 'pending password',
      });
      expect(pending.status).to.equal(200);
      const attempt = await client.post<Problem>('/api/user/login', {
        mail,
        password: 'pending password',
      });
      const unknown = await client.post<Problem>('/api/user/login', {
        mail: uniqueMail('nobody'),
        password: 'pending password',
      });
      expect(attempt.status).to.equal(401);
      expect(comparable(attempt)).to.deep.equal(comparable(unknown));
    });
  });
});
