import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  login,
  mailsTo,
  registerAndLogin,
  uniqueMail,
  verificationCode,
  type HttpClient,
  type Problem,
} from '../support/http-client.ts';

/** Per-account password-guess limit, busy refusals and password rules, through a real server. */
describe('e2e: sign-in limits and passwords', function () {
  this.timeout(90_000);
  let cambio: CambioProcess;
  let client: HttpClient;

  before(async function () {
    cambio = await CambioProcess.start({
      env: {
        SIGN_IN_MAX_FAILURES: '3',
        SIGN_IN_LOCK_SECONDS: '600',
        PASSWORD_HASH_THREADS: '1',
        PASSWORD_HASH_QUEUE: '2',
      },
    });
    client = httpClient(() => cambio.baseUrl);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  const signIn = (mail: string, password: string) =>
    client.post<Problem>('/api/user/login', { mail, password });

  it('locks an account after SIGN_IN_MAX_FAILURES wrong passwords, refuses even the right one with 429, and mails the owner', async function () {
    const user = await registerAndLogin(client, cambio.outboxDir);
    for (let i = 0; i < 3; i++) {
      const wrong = await signIn(user.mail, `wrong password ${i}`);
      expect(wrong.status, wrong.text).to.equal(401);
      expect(wrong.body.code).to.equal('invalid_credentials');
    }
    const locked = await signIn(user.mail, user.password);
    expect(locked.status, locked.text).to.equal(429);
    expect(locked.body.code).to.equal('sign_in_locked');
    expect(Number(locked.headers.get('retry-after'))).to.be.within(590, 600);
    const notice = await eventually('the lock mail', async () => {
      const mails = await mailsTo(cambio.outboxDir, user.mail);
      return mails.find((mail) => /locked/.test(mail.subject));
    });
    expect(notice.subject).to.equal('Sign-in to your Cambio account was locked');
    // The existing session is not touched: the lock is about guessing passwords.
    const me = await client.get('/api/user/me', { token: user.token });
    expect(me.status).to.equal(200);
  });

  it('counts guesses per account, not per address: another account is unaffected', async function () {
    const other = await registerAndLogin(client, cambio.outboxDir);
    expect((await signIn(other.mail, 'wrong password')).status).to.equal(401);
    expect((await signIn(other.mail, other.password)).status).to.equal(200);
  });

  it('refuses at once with 503 sign_in_busy and Retry-After when the hashing queue is full', async function () {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const started = performance.now();
        return signIn(`busy-${i}@example.com`, 'not the password').then((response) => ({
          response,
          ms: performance.now() - started,
        }));
      }),
    );
    const busy = answers.filter(({ response }) => response.status === 503);
    const checked = answers.filter(({ response }) => response.status === 401);
    // One running and two queued are checked; the rest are refused without waiting for a hash.
    expect(checked.length, 'checked').to.be.at.least(3);
    expect(busy.length, 'refused').to.be.at.least(1);
    expect(checked.length + busy.length).to.equal(12);
    for (const { response } of busy) {
      expect(response.body.code).to.equal('sign_in_busy');
      expect(response.headers.get('retry-after')).to.equal('1');
    }
    const slowestChecked = Math.max(...checked.map(({ ms }) => ms));
    const slowestRefusal = Math.max(...busy.map(({ ms }) => ms));
    expect(slowestRefusal).to.be.below(slowestChecked);
  });

  describe('passwords', function () {
    const register = (mail: string, password: string, verification?: string) =>
      client.post<Problem>('/api/user/register', {
        name: 'Zoë',
        lastName: 'Ünal',
        mail,
        password,
        ...(verification === undefined ? {} : { verification }),
      });

    it('refuses a password over 72 UTF-8 bytes at registration and login, naming the limit: 400 password_too_long', async function () {
      // 40 characters, 80 bytes: the old schema (72 characters) let it through.
      const long = 'ж'.repeat(40);
      const refused = await register(uniqueMail(), long);
      expect(refused.status, refused.text).to.equal(400);
      expect(refused.body.code).to.equal('password_too_long');
      expect(refused.body.field).to.equal('password');
      expect(refused.body.detail).to.match(/80 bytes.*at most 72/);
      const atLogin = await signIn(uniqueMail(), long);
      expect(atLogin.status).to.equal(400);
      expect(atLogin.body.code).to.equal('password_too_long');
      // 36 characters, 72 bytes: accepted.
      expect((await register(uniqueMail(), 'ж'.repeat(36))).status).to.equal(200);
    });

    it('normalizes to NFC: a password typed composed signs in when registered decomposed', async function () {
      const mail = uniqueMail();
      const decomposed = 'cafe\u0301 cre\u0300me brûlée';
      const composed = decomposed.normalize('NFC');
      expect(composed).to.not.equal(decomposed);
      expect((await register(mail, decomposed)).status).to.equal(200);
      const code = await verificationCode(cambio.outboxDir, mail);
      expect((await register(mail, decomposed, code)).status).to.equal(201);
      const session = await login(client, mail, composed);
      expect(session.token).to.be.a('string');
      expect((await signIn(mail, decomposed)).status).to.equal(200);
    });
  });
});
