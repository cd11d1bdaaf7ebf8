/**
 * The raw saved-object envelope of Kibana's export format, and the version stamps for the
 * oldest Kibana dropship supports (8.11).
 *
 * Why stamps matter: an import without typeMigrationVersion runs every migration of the type
 * from the beginning (old Lens migrations throw on `formBased` state); a stamp newer than the
 * target Kibana is refused. These are the values Kibana 8.11 writes on export.
 */

export const KIBANA_MIN_VERSION = '8.11.0';

/** coreMigrationVersion has been 8.8.0 since the 8.8 switch to typeMigrationVersion. */
export const CORE_MIGRATION_VERSION = '8.8.0';

export const TYPE_MIGRATION_VERSION = {
  'index-pattern': '8.0.0',
  dashboard: '8.9.0',
  lens: '8.9.0',
} as const;

export type SavedObjectType = keyof typeof TYPE_MIGRATION_VERSION;

export interface Reference { name: string; type: string; id: string }

export interface SavedObject {
  type: SavedObjectType;
  id: string;
  attributes: Record<string, unknown>;
  references: Reference[];
  coreMigrationVersion: string;
  typeMigrationVersion: string;
  managed: false;
}

export function savedObject(type: SavedObjectType, id: string, attributes: Record<string, unknown>, references: Reference[] = []): SavedObject {
  return {
    type, id, attributes, references,
    coreMigrationVersion: CORE_MIGRATION_VERSION,
    typeMigrationVersion: TYPE_MIGRATION_VERSION[type],
    managed: false,
  };
}

/** One object per line, keys in a stable order so the committed file diffs cleanly. */
export function toNdjson(objects: SavedObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}
