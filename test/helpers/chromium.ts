import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

/**
 * The headless browser of the tests that open pages (the report, Kibana's dashboards): the Debian
 * `chromium` binary driven by playwright-core, no browser download. DROPSHIP_CHROMIUM names
 * another binary.
 */
export const CHROMIUM_PATH = process.env.DROPSHIP_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Why no page can be opened here, or undefined. On CI a missing Chromium is a failure, not a
 * skip: .ci/apt-packages.txt installs it, so its absence means the checks silently stopped running.
 */
export function chromiumProblem(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const problem = `no Chromium at ${CHROMIUM_PATH} (Debian package "chromium", listed in .ci/apt-packages.txt; DROPSHIP_CHROMIUM names another binary)`;
  if (process.env.CI) throw new Error(`CI is set but there is ${problem}`);
  return problem;
}

/**
 * Skips `t` with the reason when there is no Chromium (the reporters print it with the skipped
 * test; test/helpers/skip-summary.mjs lists it again at the end), as dockerGate does for Docker.
 */
export function skipWithoutChromium(t: TestContext): boolean {
  const problem = chromiumProblem();
  if (problem === undefined) return false;
  t.skip(`needs a headless Chromium: ${problem}`);
  return true;
}

/**
 * Chromium as every browser test starts it. Playwright gives each launch a fresh temporary
 * profile. --no-sandbox: CI and containers run as root, where Chromium refuses its sandbox. The
 * rest keeps Chromium from making requests of its own, so a test can count a page's requests.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
