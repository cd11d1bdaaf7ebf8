/**
 * Dashboards with by-value Lens panels, in the raw (stringified) form the import API takes.
 *
 * By-value panels keep each dashboard one self-contained object; their data-view references
 * are hoisted onto the dashboard with the panel index as prefix, which is how Kibana itself
 * exports them (and how it re-attaches ids after an import renames a data view).
 */
import { KIBANA_MIN_VERSION, savedObject, type Reference, type SavedObject } from './saved-object.js';
import type { LensAttributes } from './lens.js';

export interface Panel {
  id: string;
  /** Grid position; Kibana's dashboard grid is 48 columns wide. */
  x: number; y: number; w: number; h: number;
  lens: LensAttributes;
}

export const GRID_COLUMNS = 48;

export function dashboard(o: {
  id: string; title: string; description: string; panels: Panel[]; timeFrom?: string;
}): SavedObject {
  const references: Reference[] = [];
  const panels = o.panels.map((p) => {
    for (const r of p.lens.references) references.push({ ...r, name: `${p.id}:${r.name}` });
    return {
      type: 'lens',
      panelIndex: p.id,
      gridData: { x: p.x, y: p.y, w: p.w, h: p.h, i: p.id },
      embeddableConfig: { attributes: p.lens, enhancements: {} },
      version: KIBANA_MIN_VERSION,
    };
  });
  return savedObject('dashboard', o.id, {
    title: o.title,
    description: o.description,
    panelsJSON: JSON.stringify(panels),
    optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
    // Restoring a relative range makes "open the dashboard" show recent activity, not the
    // last 15 minutes Kibana would otherwise default to.
    timeRestore: true,
    timeFrom: o.timeFrom ?? 'now-7d',
    timeTo: 'now',
    refreshInterval: { pause: true, value: 60000 },
    version: 1,
    kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
  }, references);
}
