import { expect } from 'chai';
import { CambioProcess } from '../support/cambio-process.ts';
import {
  eventually,
  httpClient,
  mailsTo,
  registerAndLogin,
  uniqueMail,
  verificationCode,
  type HttpClient,
  type NewUser,
  type Problem,
} from '../support/http-client.ts';

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

const person = (mail: string) => ({
  name: 'Grace',
  lastName: 'Hopper',
  mail,
  password: 'correct horse battery',
});

/** No account enumeration at registration, and the per-address verification-guess budget. */
describe('e2e: registration does not enumerate accounts, and codes cannot be guessed', function () {
  this.timeout(120_000);
  let cambio: CambioProcess;
  let client: HttpClient;
  const registered: NewUser[] = [];

  before(async function () {
    cambio = await CambioProcess.start({
      env: {
        VERIFICATION_MAX_GUESSES: '3',
        VERIFICATION_LOCK_SECONDS: '7200',
        VERIFICATION_RESEND_SECONDS: '1',
      },
    });
    client = httpClient(() => cambio.baseUrl);
    for (let i = 0; i < 7; i++) registered.push(await registerAndLogin(client, cambio.outboxDir));
    // Past the resend cooldown of the codes they registered with.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cambio.tail(40));
  });

  after(async function () {
    await cambio?.cleanup();
  });

  const stepOne = async (mail: string) => {
    const started = performance.now();
    const response = await client.post<Problem>('/api/user/register', person(mail));
    return { response, ms: performance.now() - started };
  };

  it('answers step 1 for a registered address exactly as for a new one, in the same time', async function () {
    const known: number[] = [];
    const fresh: number[] = [];
    const shapes = new Set<string>();
    // Interleaved, so load from elsewhere on the machine falls on both sides.
    for (const [i, user] of registered.entries()) {
      const pair = [
        [user.mail, known],
        [uniqueMail('new'), fresh],
      ] as const;
      // Alternating which goes first, so neither side always pays for a cold start.
      for (const [mail, times] of i % 2 === 0 ? pair : [...pair].reverse()) {
        const { response, ms } = await stepOne(mail);
        expect(response.status, response.text).to.equal(200);
        expect(response.body.verificationSent).to.equal(true);
        expect(response.body.mail).to.equal(mail);
        shapes.add(
          JSON.stringify([response.status, response.contentType, Object.keys(response.body)]),
        );
        times.push(ms);
      }
    }
    expect([...shapes], 'one shape of answer').to.have.length(1);
    const report = { registeredMs: median(known).toFixed(1), newMs: median(fresh).toFixed(1) };
    console.log(`      step 1 medians: ${JSON.stringify(report)}`);
    const ratio = median(known) / median(fresh);
    expect(ratio).to.be.within(0.5, 2);
  });

  it('mails the owner of a registered address a notice, never a code', async function () {
    const owner = registered[0] as NewUser;
    const notice = await eventually('the registration notice', async () => {
      const mails = await mailsTo(cambio.outboxDir, owner.mail);
      return mails.find((mail) => /tried to register/.test(mail.subject));
    });
    expect(notice.subject).to.equal('Someone tried to register a Cambio account with your address');
    const codes = (await mailsTo(cambio.outboxDir, owner.mail)).filter((m) => m.code !== null);
    expect(codes, 'only the code of the original registration').to.have.length(1);
  });

  it('answers step 2 for a registered address like a wrong code for a new one', async function () {
    const owner = registered[1] as NewUser;
    const newcomer = uniqueMail('new');
    await stepOne(newcomer);
    const answers = await Promise.all(
      [owner.mail, newcomer].map((mail) =>
        client.post<Problem>('/api/user/register', { ...person(mail), verification: '000000' }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status, answer.text).to.equal(400);
      expect(answer.body.code).to.equal('verification_failed');
      expect(answer.body.remaining).to.equal(2);
    }
  });

  it('locks an address after VERIFICATION_MAX_GUESSES wrong codes, and a resend does not unlock it', async function () {
    const mail = uniqueMail('guess');
    expect((await stepOne(mail)).response.status).to.equal(200);
    const code = await verificationCode(cambio.outboxDir, mail);
    const wrong = code === '000000' ? '000001' : '000000';
    const guess = (verification: string) =>
      client.post<Problem>('/api/user/register', { ...person(mail), verification });
    expect((await guess(wrong)).body.remaining).to.equal(2);
    expect((await guess(wrong)).body.remaining).to.equal(1);
    const locked = await guess(wrong);
    expect(locked.status).to.equal(429);
    expect(locked.body.code).to.equal('verification_blocked');
    expect(Number(locked.headers.get('retry-after'))).to.equal(7200);
    // Neither the right code nor a new one helps until the lock is over.
    expect((await guess(code)).status).to.equal(429);
    const resend = (await stepOne(mail)).response;
    expect(resend.status).to.equal(429);
    expect(resend.body.code).to.equal('verification_blocked');
  });
});
