/**
 * Hour of day and weekday come from `dropship.local.*`, computed by the shipper in the router's
 * zone (`--timezone`, `TZ` in the compose stack). The saved objects say "router time" where that
 * zone belongs; `dropship setup` writes the zone it was given in its place, so the dashboard says
 * which zone its hours are in.
 */
export const ROUTER_TIME_LABEL = 'router time';

/**
 * Every string in the objects with the placeholder replaced by the zone name. IANA names contain
 * only letters, digits, '/', '_', '-' and '+', so the JSON text stays valid.
 */
export function labelTimeZone<T>(objects: T[], zone: string): T[] {
  if (!/^[A-Za-z0-9/_+-]+$/.test(zone)) throw new Error(`not an IANA time zone name: ${zone}`);
  return objects.map((o) => JSON.parse(JSON.stringify(o).split(ROUTER_TIME_LABEL).join(zone)) as T);
}
