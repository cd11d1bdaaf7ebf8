/** Types of replay.mjs (plain JavaScript so it runs in the image without TypeScript tooling). */
export function lineTime(line: string): number | undefined;
export function shiftLine(line: string, shiftMs: number): string;
export function daysToShift(newestMs: number, nowMs: number): number;
