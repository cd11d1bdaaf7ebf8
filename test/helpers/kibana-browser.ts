/**
 * Opens a Kibana dashboard in headless Chromium (playwright-core driving the Debian `chromium`
 * binary, no browser download) and reports, per panel, whether it finished rendering and which
 * errors it shows. What it waits for and looks for is what Kibana's own tools use (docs/kibana.md,
 * "Checking dashboards in a browser"):
 *
 * - the dashboard viewport carries `data-shared-items-container` and `data-shared-items-count`;
 *   each panel's `data-shared-item` element gets `data-render-complete="true"` when drawn
 *   (Kibana's FTR dashboard page object `waitForRenderComplete`, and reporting's screenshot driver);
 * - a panel that failed shows `data-test-subj="embeddableStackError"` (the panel error component;
 *   what `verifyNoRenderErrors` counts), a Lens panel whose configuration or query failed shows
 *   `embeddable-lens-failure` (Lens VisualizationErrorPanel); newer panels also set `data-error`.
 */
import type { Browser } from 'playwright-core';

export const PANEL_ERROR_SELECTORS = [
  '[data-test-subj="embeddableStackError"]',
  '[data-test-subj="embeddable-lens-failure"]',
  '[data-test-subj="embeddableError"]',
  '[data-test-subj="embeddablePanel"][data-error="true"]',
] as const;

/** Kibana error toasts (e.g. "Unable to load data view"). */
export const TOAST_ERROR_SELECTOR = '[data-test-subj="globalToastList"] .euiToast--danger, [data-test-subj="globalToastList"] [data-test-subj="errorToastMessage"]';

export interface PanelReport { title: string; rendered: boolean; errors: string[] }
export interface DashboardReport {
  url: string;
  /** data-shared-items-count of the dashboard viewport. */
  expectedPanels: number;
  panels: PanelReport[];
  /** Errors outside panels (error toasts, no dashboard at all). */
  errors: string[];
  /** Uncaught exceptions in the page, for the record (Kibana logs some harmless ones). */
  pageErrors: string[];
}

interface Snapshot { expected: number; panels: PanelReport[]; toasts: string[]; container: boolean }

/** The little of the DOM the snapshot uses (the project compiles without the DOM library). */
interface El {
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El>;
  closest(selector: string): El | null;
  matches(selector: string): boolean;
  contains(other: El): boolean;
  innerText?: string;
  textContent: string | null;
}

/** Runs inside the page: the state of every panel. Self-contained (it is serialised into the page). */
function snapshot(sel: { errors: readonly string[]; toast: string }): Snapshot {
  const doc = (globalThis as unknown as { document: El }).document;
  const text = (e: El | null | undefined): string => (e ? (e.innerText || e.textContent || '') : '').replace(/\s+/g, ' ').trim();
  const container = doc.querySelector('[data-shared-items-container]');
  const expected = Number(container?.getAttribute('data-shared-items-count') ?? 0);
  const items = [...doc.querySelectorAll('[data-shared-item]')];
  const titleOf = (item: El | null, panel: El | null): string =>
    item?.getAttribute('data-title') || panel?.getAttribute('data-title')
    || text(panel?.querySelector('[data-test-subj="embeddablePanelTitle"], [data-test-subj="dashboardPanelTitle"]'));
  const panels = items.map((item) => {
    const panel = item.closest('[data-test-subj="embeddablePanel"]') ?? item;
    const errors: string[] = [];
    for (const s of sel.errors) {
      if (panel.matches(s)) errors.push(`${s}: ${text(panel.querySelector('[data-test-subj="errorMessageMarkdown"]') ?? panel)}`);
      for (const e of panel.querySelectorAll(s)) errors.push(`${s}: ${text(e)}`);
    }
    return { title: titleOf(item, panel), rendered: item.getAttribute('data-render-complete') === 'true', errors };
  });
  // An error can replace a panel's shared item altogether: report it as a panel of its own.
  for (const s of sel.errors) {
    for (const e of doc.querySelectorAll(s)) {
      if (items.some((i) => i.contains(e) || e.contains(i) || i.closest('[data-test-subj="embeddablePanel"]')?.contains(e))) continue;
      const panel = e.closest('[data-test-subj="embeddablePanel"]');
      panels.push({ title: titleOf(null, panel), rendered: false, errors: [`${s}: ${text(e)}`] });
    }
  }
  return { expected, panels, toasts: [...doc.querySelectorAll(sel.toast)].map(text), container: container !== null };
}

/**
 * Opens `url` and waits until every panel has rendered (or shows an error), at most `timeoutMs`.
 * A panel still not drawn at the end is reported as not rendered.
 */
export async function checkDashboard(browser: Browser, url: string, o: { timeoutMs?: number; settleMs?: number } = {}): Promise<DashboardReport> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // tsx compiles with esbuild's keepNames, which wraps inner functions in a `__name(fn, "name")`
  // helper; `snapshot` is sent to the page as source text, where that helper does not exist.
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    let last: Snapshot = { expected: 0, panels: [], toasts: [], container: false };
    for (;;) {
      last = await page.evaluate(snapshot, { errors: PANEL_ERROR_SELECTORS, toast: TOAST_ERROR_SELECTOR });
      const settled = last.container && last.expected > 0 && last.panels.length >= last.expected
        && last.panels.every((p) => p.rendered || p.errors.length > 0);
      if (settled || Date.now() >= deadline) break;
      await page.waitForTimeout(250);
    }
    // Panels that finished can still flip to an error when a late query fails: look once more.
    if (o.settleMs) {
      await page.waitForTimeout(o.settleMs);
      last = await page.evaluate(snapshot, { errors: PANEL_ERROR_SELECTORS, toast: TOAST_ERROR_SELECTOR });
    }
    const errors = [...last.toasts.map((t) => `error toast: ${t}`)];
    if (!last.container) errors.push('no dashboard on the page (no data-shared-items-container)');
    return { url, expectedPanels: last.expected, panels: last.panels, errors, pageErrors };
  } finally {
    await page.close();
  }
}

/** One line per problem, empty when the dashboard rendered every panel without an error. */
export function problems(r: DashboardReport): string[] {
  const out = [...r.errors];
  if (r.panels.length < r.expectedPanels) out.push(`${r.panels.length} of ${r.expectedPanels} panels on the page`);
  for (const p of r.panels) {
    for (const e of p.errors) out.push(`panel "${p.title}": ${e}`);
    if (!p.rendered && p.errors.length === 0) out.push(`panel "${p.title}": did not finish rendering`);
  }
  return out;
}
