/**
 * Debian's Chromium, headless, driven through playwright-core (which never downloads a
 * browser). Each launch gets a new, empty profile directory, removed on close, and the flags
 * that keep a test browser from calling home (no background networking, updates or sync).
 */
import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The browser binary to drive: CHROMIUM_PATH, else Debian's; null when none is installed. */
export const chromiumPath = (): string | null =>
  [process.env.CHROMIUM_PATH, ...CANDIDATES].find(
    (path): path is string => path !== undefined && path !== '' && existsSync(path),
  ) ?? null;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium on a fresh profile; throws, naming the fix, when none is found. */
export const launchBrowser = async (
  options: { viewport?: { width: number; height: number } } = {},
): Promise<TestBrowser> => {
  const executablePath = chromiumPath();
  if (executablePath === null) {
    throw new Error('no Chromium found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  }
  const profile = mkdtempSync(join(tmpdir(), 'cambio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};
