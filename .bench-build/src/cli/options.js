import { timeZone } from '../time/zone.js';
import { UsageError } from './errors.js';
export function parseTimeZoneOption(name) {
    try {
        return timeZone(name);
    }
    catch {
        throw new UsageError(`unknown time zone "${name}" (use an IANA name such as Asia/Tokyo or UTC)`);
    }
}
export function parseYearOption(value) {
    if (value === undefined)
        return undefined;
    if (!/^\d{4}$/.test(value) || Number(value) < 1970)
        throw new UsageError(`--year must be a four-digit year, got "${value}"`);
    return Number(value);
}
