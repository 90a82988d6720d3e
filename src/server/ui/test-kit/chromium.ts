/**
 * The headless Chromium the UI's end-to-end tests drive (playwright-core over CDP): the Debian
 * package's binary (VIGIL_CHROMIUM to point elsewhere), one desktop-sized page with a generous
 * timeout (a loaded two-core CI machine can be slow).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';

/** Whether Chromium is installed; when not, says so for `suite` (the test is skipped, not failed). */
export function haveChromium(suite: string): boolean {
  const ok = existsSync(CHROMIUM);
  if (!ok) console.warn(`${suite}: skipped — ${CHROMIUM} is not installed (apt-get install chromium; CI's .ci/run installs it)`);
  return ok;
}

/** Launches Chromium and opens one 1440×900 page with a 60 s default timeout. */
export async function openChromiumPage(): Promise<{ browser: Browser; page: Page }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(60_000);
  return { browser, page };
}
