/**
 * Country names and ISO 3166-1 numeric codes for the alpha-2 codes GeoIP databases give, from
 * i18n-iso-countries (English only: the library's node entry would load every language).
 */
import { createRequire } from 'node:module';
import countries from 'i18n-iso-countries/index.js';

const require = createRequire(import.meta.url);
countries.registerLocale(require('i18n-iso-countries/langs/en.json') as Parameters<typeof countries.registerLocale>[0]);

/** Official names longer than this read badly in a ranked list; a short alias is used instead. */
const LONG_NAME = 20;

/**
 * Short English names: the official one ("Russian Federation", "South Korea"), or its alias when
 * the official one is long or inverted ("People's Republic of China" → "China", "Taiwan,
 * Province of China" → "Taiwan") and the alias names no other country ("Congo" is two).
 */
const names: Map<string, string> = (() => {
  const codes = Object.keys(countries.getAlpha2Codes());
  const aliasUse = new Map<string, number>();
  const aliasOf = (code: string): string | undefined => countries.getName(code, 'en', { select: 'alias' });
  for (const code of codes) {
    for (const name of [aliasOf(code), countries.getName(code, 'en')]) if (name !== undefined) aliasUse.set(name, (aliasUse.get(name) ?? 0) + 1);
  }
  const out = new Map<string, string>();
  for (const code of codes) {
    const official = countries.getName(code, 'en');
    const alias = aliasOf(code);
    if (official === undefined) continue;
    const wantShort = official.length > LONG_NAME || official.includes(',');
    const aliasOk = alias !== undefined && !alias.includes(',') && aliasUse.get(alias) === 1;
    // "Moldova, Republic of" → "Moldova", the way people say it.
    out.set(code, wantShort && aliasOk ? alias : official.replace(/^([^,]+), [^,]+ of$/, '$1'));
  }
  return out;
})();

/** English name of an alpha-2 code; the code itself when unknown (e.g. EU, AP in old databases). */
export function countryName(code: string): string {
  return names.get(code.toUpperCase()) ?? code;
}

/** ISO 3166-1 numeric code ("156" for CN), as world-atlas names its shapes. */
export function numericCode(alpha2: string): string | undefined {
  return countries.alpha2ToNumeric(alpha2.toUpperCase());
}

/** Alpha-2 code of a numeric code. */
export function alpha2Of(numeric: string): string | undefined {
  return countries.numericToAlpha2(numeric);
}
