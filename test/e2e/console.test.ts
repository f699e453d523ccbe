import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { CambioProcess, REPO_ROOT, runCambio } from '../support/cambio-process.ts';
import { chromiumPath, launchBrowser, type TestBrowser } from '../support/browser.ts';
import {
  eventually,
  httpClient,
  login,
  sleep,
  uniqueMail,
  verificationCode,
  type HttpClient,
} from '../support/http-client.ts';
import { freePort } from '../support/nats-server.ts';
import { buildConsole } from '../../console/build.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../notifier/smtp-test-server.ts';

const SCREENSHOTS = join(REPO_ROOT, 'docs', 'screenshots');
const PASSWORD = 'correct horse battery';
const TOKEN_TTL_SECONDS = 6;

/** Waits until the element's text satisfies `test`, and returns it. */
const textOf = (page: Page, selector: string, test: (text: string) => boolean, what: string) =>
  eventually(
    what,
    async () => {
      const text =
        (await page
          .locator(selector)
          .first()
          .textContent()
          .catch(() => null)) ?? '';
      return test(text) ? text : undefined;
    },
    20_000,
    100,
  );

const screenshot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled', fullPage });

describe('e2e: the web console in headless Chromium', function () {
  this.timeout(120_000);
  let cambio: CambioProcess;
  let api: HttpClient;
  let browser: TestBrowser;
  let trader: Page;
  const mail = uniqueMail('console');
  /** Every URL the pages asked for: all must be Cambio's own. */
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  const openPage = async (path = '/app') => {
    const page = await browser.context.newPage();
    page.on('request', (request) => requested.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${cambio.baseUrl}${path}`);
    return page;
  };

  const signIn = async (page: Page, address: string) => {
    await page.getByLabel('E-mail').fill(address);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).last().click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };

  const balance = (page: Page, code: string) =>
    page.locator(`[data-testid="balance-${code}"]`).first().textContent();

  before(async function () {
    if (chromiumPath() === null) {
      console.log('    console tests skipped: no Chromium (apt-get install -y chromium)');
      this.skip();
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    // As `npm start` does: the server serves the bundle, it does not build it.
    await buildConsole();
    // A fixed port, so the page left open finds the server again after a restart.
    const port = await freePort();
    // Access tokens of 6 s: every step below runs across refreshes of the session.
    cambio = await CambioProcess.start({
      args: ['--port', String(port)],
      env: { ACCESS_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS) },
    });
    api = httpClient(() => cambio.baseUrl);
    browser = await launchBrowser({ viewport: { width: 1100, height: 820 } });
  });

  after(async () => {
    await browser?.close();
    await cambio?.cleanup();
  });

  it('serves /app with its own strict Content-Security-Policy', async () => {
    const page = await api.get('/app');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("connect-src 'self'");
    expect(csp).not.to.include('unsafe-inline');
    expect(page.text).not.to.match(/<script>|<style>|https?:\/\//);
    const script = /src="(\/app\/app-[A-Z0-9]+\.js)"/.exec(page.text)?.[1];
    expect(script, 'index.html names the hashed bundle').to.be.a('string');
    const bundle = await api.get(script ?? '');
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get('cache-control')).to.include('immutable');
  });

  it('takes a newcomer from sign-up to a trade, with balances moving live', async () => {
    trader = await openPage();
    // The keyboard reaches the form in reading order.
    await trader.getByLabel('E-mail').waitFor();
    await trader.keyboard.press('Tab');
    await trader.keyboard.press('Tab');
    await trader.keyboard.press('Tab');
    expect(await trader.evaluate<string>('document.activeElement.id')).to.equal('signin-mail');
    await trader.keyboard.press('Tab');
    expect(await trader.evaluate<string>('document.activeElement.id')).to.equal('signin-password');
    await trader.getByRole('button', { name: 'Create account' }).click();
    await trader.getByLabel('First name').fill('Grace');
    await trader.getByLabel('Last name').fill('Hopper');
    await trader.getByLabel('E-mail').fill(mail);
    await trader.getByLabel('Password').fill(PASSWORD);
    await trader.getByRole('button', { name: 'Send me a code' }).click();
    await trader.getByText('We mailed a 6-digit code').waitFor();
    await trader
      .getByLabel('Verification code')
      .fill(await verificationCode(cambio.outboxDir, mail));
    await trader.getByRole('button', { name: 'Create my account' }).click();
    await trader.getByRole('button', { name: 'Sign out' }).waitFor();
    await textOf(trader, '[data-testid="live-status"]', (t) => t === 'Live', 'the live status');
    await trader.locator('[data-testid="price-BTC"]').waitFor();

    await trader.getByLabel('Amount', { exact: true }).fill('250.50');
    await trader.getByRole('button', { name: 'Deposit', exact: true }).last().click();
    await textOf(
      trader,
      '[data-testid="balance-USD"]',
      (t) => t === '250.5',
      'USD after the deposit',
    );

    await trader.getByRole('button', { name: 'Buy', exact: true }).first().click();
    await trader.getByLabel('Amount of BTC').fill('0.001');
    await trader.getByText('Refused if 1 BTC costs more than').waitFor();
    await trader.locator('form').getByRole('button', { name: 'Buy', exact: true }).click();
    await trader.getByText(/Bought 0\.001 BTC for/).waitFor();
    await textOf(trader, '[data-testid="balance-BTC"]', (t) => t === '0.001', 'BTC after the buy');
    const usd = (await balance(trader, 'USD')) ?? '';
    expect(usd).to.not.equal('250.5');

    // A deposit made elsewhere (another device, the API) shows up without a reload.
    const tokens = await login(api, mail, PASSWORD);
    const other = await api.post(
      '/api/user/wallet/deposit',
      { amount: '1000' },
      { token: tokens.token },
    );
    expect(other.status).to.equal(200);
    const expected = (other.body.balances as Record<string, string>).USD ?? '';
    await textOf(
      trader,
      '[data-testid="balance-USD"]',
      (t) => t.replaceAll(',', '') === expected,
      `USD ${expected} pushed over the websocket`,
    );
    await trader.locator('.entries li').nth(2).waitFor();
    expect(await trader.locator('.entries li').count()).to.equal(3);
    await screenshot(trader, 'trader', true);
  });

  it('shows the API’s refusal in words: insufficient funds, with the field kept', async () => {
    await trader.getByRole('button', { name: 'Withdraw', exact: true }).first().click();
    await trader.getByLabel('Amount', { exact: true }).fill('999999');
    await trader.locator('form').getByRole('button', { name: 'Withdraw', exact: true }).click();
    const alert = trader.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).to.match(/^Not enough funds\./);
    expect(await trader.getByLabel('Amount', { exact: true }).inputValue()).to.equal('999999');
    await screenshot(trader, 'trader-insufficient-funds');
  });

  it('filters the history', async () => {
    await trader.getByLabel('Type').selectOption('buy');
    await eventually('only the buy listed', async () =>
      (await trader.locator('.entries li').count()) === 1 ? true : undefined,
    );
    expect(await trader.locator('.entries li').first().getAttribute('data-type')).to.equal('buy');
    await trader.getByLabel('Type').selectOption('');
    await trader.locator('.entries li').nth(2).waitFor();
  });

  it('labels every control', async () => {
    const unlabelled = await trader.evaluate<string[]>(`
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
          && !(el.textContent || '').trim())
        .map((el) => el.outerHTML.slice(0, 80))`);
    expect(unlabelled).to.deep.equal([]);
  });

  it('loads older history as the list scrolls into view', async () => {
    const tokens = await login(api, mail, PASSWORD);
    for (let i = 1; i <= 25; i++) {
      const answer = await api.post(
        '/api/user/wallet/deposit',
        { amount: `0.${String(i).padStart(2, '0')}` },
        { token: tokens.token },
      );
      expect(answer.status).to.equal(200);
    }
    await trader.reload();
    await trader.locator('.entries li').nth(19).waitFor();
    expect(await trader.locator('.entries li').count()).to.equal(20);
    await trader.locator('.sentinel').scrollIntoViewIfNeeded();
    await eventually('the second page', async () =>
      (await trader.locator('.entries li').count()) === 28 ? true : undefined,
    );
    await trader.evaluate('window.scrollTo(0, 0)');
  });

  it('keeps the session past the access token’s lifetime, refreshing it', async () => {
    const first = await trader.evaluate<string | null>(
      "sessionStorage.getItem('cambio.refreshToken')",
    );
    await sleep((TOKEN_TTL_SECONDS + 2) * 1000);
    const rotated = await trader.evaluate<string | null>(
      "sessionStorage.getItem('cambio.refreshToken')",
    );
    expect(rotated).to.be.a('string').and.not.equal(first);
    await trader.getByRole('button', { name: 'Deposit', exact: true }).first().click();
    await trader.getByLabel('Amount', { exact: true }).fill('5');
    await trader.locator('form').getByRole('button', { name: 'Deposit', exact: true }).click();
    await trader.getByText('Deposit of 5 USD done.').waitFor();
    expect(await trader.getByRole('alert').count()).to.equal(0);
  });

  it('fits a phone-sized screen', async () => {
    await trader.setViewportSize({ width: 390, height: 844 });
    // A string, evaluated in the page: the test's own types know nothing of the DOM.
    const overflow = await trader.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow, 'horizontal overflow in px').to.be.at.most(0);
    await screenshot(trader, 'trader-phone');
    await trader.setViewportSize({ width: 1100, height: 820 });
  });

  it('reconnects and subscribes again when the server restarts under an open page', async () => {
    await cambio.restart();
    await textOf(
      trader,
      '[data-testid="live-status"]',
      (t) => t === 'Live',
      'the live status after the restart',
    );
    const tokens = await login(api, mail, PASSWORD);
    const deposit = await api.post(
      '/api/user/wallet/deposit',
      { amount: '1' },
      { token: tokens.token },
    );
    expect(deposit.status).to.equal(200);
    const expected = (deposit.body.balances as Record<string, string>).USD ?? '';
    await textOf(
      trader,
      '[data-testid="balance-USD"]',
      (t) => t.replaceAll(',', '') === expected,
      `USD ${expected} pushed after the reconnect`,
    );
  });

  it('gives auditors the event log, a stream and a wallet replay', async () => {
    const auditor = uniqueMail('auditor');
    await registerThroughApi(auditor);
    const granted = await runCambio([
      'users',
      'grant-role',
      auditor,
      'auditor',
      '--data-dir',
      cambio.dataDir,
    ]);
    expect(granted.code, granted.stderr).to.equal(0);
    const page = await openPage('/app#/audit');
    await signIn(page, auditor);
    await page.getByRole('heading', { name: 'Event log' }).waitFor();
    await page.locator('table.events tbody tr').first().waitFor();
    const wallet = page.getByRole('button', { name: /^wallet-/ }).first();
    await wallet.click();
    await textOf(
      page,
      '[data-testid="wallet-verdict"]',
      (t) => t.includes('checks out'),
      'the verdict',
    );
    const slider = page.getByLabel(/Wallet after event/);
    await slider.focus();
    await page.keyboard.press('Home');
    await textOf(
      page,
      '[data-testid="replay-balances"]',
      (t) => t.includes('250.5'),
      'the first step',
    );
    expect(await page.getByTestId('chain-unavailable').count()).to.equal(1);
    await screenshot(page, 'auditor');
    await page.close();
  });

  it('gives operators the projections live and the parked mail', async () => {
    const admin = uniqueMail('admin');
    await registerThroughApi(admin);
    const granted = await runCambio([
      'users',
      'grant-role',
      admin,
      'admin',
      '--data-dir',
      cambio.dataDir,
    ]);
    expect(granted.code, granted.stderr).to.equal(0);
    const page = await openPage('/app#/operate');
    await signIn(page, admin);
    await page.locator('tr[data-projection]').first().waitFor();
    const before = await page.getByTestId('projection-position').first().textContent();
    const tokens = await login(api, mail, PASSWORD);
    await api.post('/api/user/wallet/deposit', { amount: '2' }, { token: tokens.token });
    await textOf(
      page,
      '[data-testid="projection-position"]',
      (t) => BigInt(t || '0') > BigInt(before ?? '0'),
      'the projection position to move',
    );
    await screenshot(page, 'operator');
    await page.close();
  });

  it('signs out: the refresh token is forgotten here and refused by the server', async () => {
    const refreshToken = await trader.evaluate<string | null>(
      "sessionStorage.getItem('cambio.refreshToken')",
    );
    expect(refreshToken).to.be.a('string');
    await trader.getByRole('button', { name: 'Sign out' }).click();
    await trader.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(
      await trader.evaluate<string | null>("sessionStorage.getItem('cambio.refreshToken')"),
    ).to.equal(null);
    const refused = await api.post('/api/user/refresh', { refreshToken });
    expect(refused.status).to.equal(401);
  });

  it('asked nothing of anyone but Cambio, and broke no policy', () => {
    const foreign = requested.filter(
      (url) => !url.startsWith(cambio.baseUrl) && !url.startsWith('data:'),
    );
    expect(foreign).to.deep.equal([]);
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).to.deep.equal([]);
  });

  const registerThroughApi = async (address: string) => {
    const details = { name: 'Ida', lastName: 'Rhodes', mail: address, password: PASSWORD };
    expect((await api.post('/api/user/register', details)).status).to.equal(200);
    const verification = await verificationCode(cambio.outboxDir, address);
    expect((await api.post('/api/user/register', { ...details, verification })).status).to.equal(
      201,
    );
  };
});

describe('e2e: the web console replays parked mail', function () {
  this.timeout(120_000);
  let smtp: TestSmtpServer;
  let cambio: CambioProcess;
  let api: HttpClient;
  let browser: TestBrowser;
  /** The mail server refuses this recipient for good (550) until the test fixes it. */
  let bouncing = true;

  before(async function () {
    if (chromiumPath() === null) {
      console.log('    console tests skipped: no Chromium (apt-get install -y chromium)');
      this.skip();
    }
    await buildConsole();
    smtp = await startTestSmtpServer({
      rcpt: (address) =>
        bouncing && address.startsWith('bounce-')
          ? { code: 550, message: 'mailbox unavailable' }
          : null,
    });
    cambio = await CambioProcess.start({ env: { CAMBIO_MAIL: 'smtp', SMTP_URL: smtp.url } });
    api = httpClient(() => cambio.baseUrl);
    browser = await launchBrowser({ viewport: { width: 1100, height: 820 } });
  });

  after(async () => {
    await browser?.close();
    await cambio?.cleanup();
    await smtp?.close();
  });

  const codeFor = (address: string) =>
    eventually(
      `a mail to ${address}`,
      async () => smtp.received.find((mail) => mail.to.includes(address))?.code ?? undefined,
    );

  it('lists a mail the server refused and sends it once replayed', async () => {
    const admin = uniqueMail('admin');
    const details = { name: 'Ida', lastName: 'Rhodes', mail: admin, password: PASSWORD };
    expect((await api.post('/api/user/register', details)).status).to.equal(200);
    const verification = await codeFor(admin);
    expect((await api.post('/api/user/register', { ...details, verification })).status).to.equal(
      201,
    );
    const granted = await runCambio([
      'users',
      'grant-role',
      admin,
      'admin',
      '--data-dir',
      cambio.dataDir,
    ]);
    expect(granted.code, granted.stderr).to.equal(0);

    const bounce = uniqueMail('bounce');
    const answer = await api.post('/api/user/register', { ...details, mail: bounce });
    expect(answer.status).to.equal(200);

    const page = await browser.context.newPage();
    await page.goto(`${cambio.baseUrl}/app#/operate`);
    await page.getByLabel('E-mail').fill(admin);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).last().click();
    const replay = page.getByRole('button', { name: `Replay mail to ${bounce}` });
    const refresh = page.getByRole('button', { name: 'Refresh the list' });
    await eventually('the parked mail listed', async () => {
      if ((await replay.count()) > 0) return true;
      await refresh.click();
      await sleep(200);
      return undefined;
    });
    expect(await page.locator('.parked li').textContent()).to.include('550');
    await screenshot(page, 'operator-parked-mail');

    bouncing = false;
    await replay.click();
    await page.getByText('is back on the queue').waitFor();
    expect(await codeFor(bounce)).to.match(/^[0-9]{6}$/);
    await page.getByTestId('parked-empty').waitFor();
    await page.close();
  });
});
