import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext } from 'playwright-core';
import { CambioProcess } from '../support/cambio-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** /docs in a real browser with no internet of its own: Redoc must come from this server. */
describe('e2e: /docs in headless Chromium', function () {
  this.timeout(120_000);
  let cambio: CambioProcess;
  let profile: string;
  let browser: BrowserContext;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: scripts/ci-services.sh installs Debian's chromium`);
    }
    cambio = await CambioProcess.start();
    profile = mkdtempSync(join(tmpdir(), 'cambio-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
    });
  });

  after(async function () {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await cambio?.cleanup();
  });

  it('renders the deposit and exchange-rates operations, loading nothing from elsewhere, within its CSP', async function () {
    const page = await browser.newPage();
    const requested: { url: string; type: string }[] = [];
    const reached: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) =>
      requested.push({ url: request.url(), type: request.resourceType() }),
    );
    page.on('requestfinished', (request) => reached.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    const answer = await page.goto(`${cambio.baseUrl}/docs`, { waitUntil: 'load' });
    expect(answer?.status()).to.equal(200);
    expect(answer?.headers()['content-security-policy']).to.match(/script-src 'self'/);

    // Each operation is a heading of the rendered reference (the menu holds them too).
    const deposit = page.getByRole('heading', { name: 'Deposit fiat money' });
    await deposit.first().waitFor({ state: 'visible', timeout: 60_000 });
    const rates = page.getByRole('heading', {
      name: 'The latest exchange rates against a base currency',
    });
    await rates.first().waitFor({ state: 'visible', timeout: 30_000 });
    const text = await page.locator('body').innerText();
    expect(text).to.include('/api/user/wallet/deposit');
    expect(text).to.include('/api/exchange-rates');

    const origin = new URL(cambio.baseUrl).origin;
    const local = (url: string) =>
      url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:');
    // Redoc's sidebar shows Redocly's logo from their CDN; the policy blocks it (an image,
    // never a script), and nothing else leaves this origin.
    const foreign = requested.filter((request) => !local(request.url));
    expect(foreign.filter((request) => request.type !== 'image')).to.deep.equal([]);
    expect(
      reached.filter((url) => !local(url)),
      'answers from other origins',
    ).to.deep.equal([]);
    expect(requested.map((request) => request.url)).to.include(
      `${origin}/docs/redoc.standalone.js`,
    );
    const unexpected = problems.filter(
      (problem) =>
        !/the image 'https:\/\/cdn\.redoc\.ly\/.*The action has been blocked/.test(problem),
    );
    expect(unexpected, 'console errors and CSP violations').to.deep.equal([]);
  });

  it('every operation has request and response examples and its error answers', async function () {
    interface Media {
      example?: unknown;
    }
    interface Operation {
      requestBody?: { content: Record<string, Media> };
      responses: Record<string, { content?: Record<string, Media> }>;
    }
    const document = (await (await fetch(`${cambio.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ name: `${method} ${path}`, operation })),
    );
    expect(operations.length).to.be.greaterThan(15);
    for (const { name, operation } of operations) {
      if (operation.requestBody) {
        const example = operation.requestBody.content['application/json']?.example;
        expect(example, `${name} request`).to.not.equal(undefined);
      }
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => /^2\d\d$/.test(status)),
        `${name} succeeds`,
      ).to.equal(true);
      // 204 No Content is the one success without a body to show.
      const successes = statuses.filter((status) => /^2\d\d$/.test(status) && status !== '204');
      for (const status of successes) {
        // JSON, or the one media type of a success that is not (the NDJSON export).
        const content = operation.responses[status]?.content ?? {};
        const media = content['application/json'] ?? Object.values(content)[0];
        expect(media?.example, `${name} ${status}`).to.not.equal(undefined);
      }
      const errors = statuses.filter((status) => Number(status) >= 400);
      expect(errors, `${name} error answers`).to.include.members(['429', '503']);
      for (const status of errors) {
        const example = operation.responses[status]?.content?.['application/problem+json']
          ?.example as { status?: number } | undefined;
        expect(example?.status, `${name} ${status} example`).to.equal(Number(status));
      }
    }
  });
});
