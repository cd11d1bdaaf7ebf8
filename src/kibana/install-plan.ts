/**
 * What `dropship setup` writes into a Kibana that may already hold dropship's objects, and may
 * hold a user's changes to them. Decided here (docs/kibana.md, "Re-running setup"):
 *
 * - An object that is not there is created.
 * - A data view that is there is never replaced: the user's field formats, labels, runtime fields
 *   and popularity counts stay. What the dashboards need and the installed one lacks is added
 *   (dropship's runtime fields, formats and labels for fields that have none); title and time
 *   field are kept in line with the bundle because every panel queries through them.
 * - A dashboard is replaced only when dropship's version of it differs from the one that was
 *   installed: each carries a revision (a hash of its content) at the end of its description. An
 *   unchanged dropship leaves it alone, whatever was edited in Kibana; to keep edits across
 *   upgrades, save the dashboard under another name.
 */
import { createHash } from 'node:crypto';
import type { RawObject } from './api.js';

const REVISION = / \(dropship revision ([0-9a-f]{8})\)$/;

export const keyOf = (o: { type: string; id: string }): string => `${o.type}:${o.id}`;

function withoutRevision(description: unknown): string {
  return typeof description === 'string' ? description.replace(REVISION, '') : '';
}

function contentHash(o: RawObject): string {
  const attributes = { ...o.attributes, description: withoutRevision(o.attributes.description) };
  return createHash('sha256').update(JSON.stringify({ type: o.type, attributes, references: o.references })).digest('hex').slice(0, 8);
}

/** The dashboard with its revision at the end of its description. */
export function stampRevision(o: RawObject): RawObject {
  if (o.type !== 'dashboard') return o;
  const description = `${withoutRevision(o.attributes.description)} (dropship revision ${contentHash(o)})`;
  return { ...o, attributes: { ...o.attributes, description } };
}

export function revisionOf(o: RawObject): string | undefined {
  const d = o.attributes.description;
  return typeof d === 'string' ? REVISION.exec(d)?.[1] : undefined;
}

type JsonMap = Record<string, unknown>;

function jsonAttr(o: RawObject, key: string): JsonMap {
  const v = o.attributes[key];
  if (typeof v !== 'string' || v.trim() === '') return {};
  try {
    const parsed = JSON.parse(v) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as JsonMap) : {};
  } catch {
    return {};
  }
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export interface Merge { object: RawObject; additions: string[] }

/**
 * The installed data view with what the bundled one adds. `additions` is empty when the
 * installed one already has everything; then nothing needs writing.
 */
export function mergeDataView(installed: RawObject, bundled: RawObject): Merge {
  const additions: string[] = [];
  const attributes: JsonMap = { ...installed.attributes };

  for (const key of ['title', 'timeFieldName'] as const) {
    if (bundled.attributes[key] !== undefined && installed.attributes[key] !== bundled.attributes[key]) {
      attributes[key] = bundled.attributes[key];
      additions.push(`${key} ${JSON.stringify(bundled.attributes[key])}`);
    }
  }
  if (bundled.attributes.allowNoIndex === true && installed.attributes.allowNoIndex !== true) attributes.allowNoIndex = true;

  // dropship's own runtime fields are dropship's: a new version of the script replaces the old one.
  const runtime = jsonAttr(installed, 'runtimeFieldMap');
  for (const [name, def] of Object.entries(jsonAttr(bundled, 'runtimeFieldMap'))) {
    if (!same(runtime[name], def)) {
      runtime[name] = def;
      additions.push(`runtime field ${name}`);
    }
  }
  attributes.runtimeFieldMap = JSON.stringify(runtime);

  // Formats and labels: only for fields that have none; a user's choice stays.
  const formats = jsonAttr(installed, 'fieldFormatMap');
  for (const [name, format] of Object.entries(jsonAttr(bundled, 'fieldFormatMap'))) {
    if (formats[name] === undefined) {
      formats[name] = format;
      additions.push(`format of ${name}`);
    }
  }
  attributes.fieldFormatMap = JSON.stringify(formats);

  const fieldAttrs = jsonAttr(installed, 'fieldAttrs');
  for (const [name, attrs] of Object.entries(jsonAttr(bundled, 'fieldAttrs'))) {
    const mine = (fieldAttrs[name] ?? {}) as JsonMap;
    const label = (attrs as JsonMap).customLabel;
    if (label !== undefined && mine.customLabel === undefined) {
      fieldAttrs[name] = { ...mine, customLabel: label };
      additions.push(`label of ${name}`);
    }
  }
  attributes.fieldAttrs = JSON.stringify(fieldAttrs);

  const object: RawObject = {
    type: bundled.type,
    id: bundled.id,
    attributes,
    references: installed.references ?? [],
    ...(installed.coreMigrationVersion ? { coreMigrationVersion: installed.coreMigrationVersion } : {}),
    ...(installed.typeMigrationVersion ? { typeMigrationVersion: installed.typeMigrationVersion } : {}),
    managed: false,
  };
  return { object, additions };
}

export type Decision =
  | { action: 'create'; object: RawObject }
  | { action: 'update'; object: RawObject; why: string }
  | { action: 'keep'; bundled: RawObject; why: string };

/**
 * One decision per bundled object. `installed` holds the stored version of each bundled object
 * that exists (keyed by the bundled type:id, whatever id it has in this space).
 */
export function planInstall(bundle: RawObject[], installed: Map<string, RawObject>): Decision[] {
  return bundle.map((b): Decision => {
    const current = installed.get(keyOf(b));
    if (current === undefined) return { action: 'create', object: b };
    if (b.type === 'index-pattern') {
      const { object, additions } = mergeDataView(current, b);
      return additions.length > 0
        ? { action: 'update', object, why: `added ${additions.join(', ')}; your changes kept` }
        : { action: 'keep', bundled: b, why: 'up to date; your changes kept' };
    }
    if (b.type === 'dashboard') {
      const want = revisionOf(b);
      return want !== undefined && revisionOf(current) === want
        ? { action: 'keep', bundled: b, why: `revision ${want} already installed` }
        : { action: 'update', object: b, why: `new revision ${want ?? '(none)'}` };
    }
    return { action: 'update', object: b, why: 'replaced' };
  });
}
