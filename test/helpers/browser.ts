/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core (which
 * downloads no browser). Where it is missing the tests skip with one line, except under CI, where
 * .ci/run installs it and a missing browser is a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MMCHECK_CHROMIUM ?? '/usr/bin/chromium';
export const haveBrowser = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!haveBrowser) process.stderr.write(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium, or set MMCHECK_CHROMIUM)\n`);

/** One browser per test file: a launch takes seconds. Flags as this machine's notes give them (no network at start). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
