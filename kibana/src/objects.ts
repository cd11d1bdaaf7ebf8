/** Everything `dropship setup` imports into Kibana, data views first so references resolve. */
import { dashboards } from './dashboards.js';
import { dataViews } from './data-views.js';
import { toNdjson, type SavedObject } from './saved-object.js';

export const savedObjects = (): SavedObject[] => [...dataViews(), ...dashboards()];

export const renderNdjson = (): string => toNdjson(savedObjects());
