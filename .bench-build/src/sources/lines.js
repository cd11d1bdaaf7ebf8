import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
/** Bytes kept of one line; the rest up to the newline is skipped and counted. */
export const MAX_LINE_BYTES = 64 * 1024;
/**
 * Splits a byte stream into lines without ever holding more than one chunk plus one bounded
 * partial line. Lines are decoded as UTF-8 with invalid sequences replaced (never throws);
 * CR before LF is removed by the parser. A last line without a newline is emitted at the end.
 * Yields one batch per chunk, so the per-line cost stays a few comparisons.
 */
export async function* readLineBatches(input, maxLineBytes = MAX_LINE_BYTES) {
    let carry; // start of an unfinished line, at most maxLineBytes long
    let skipping = false; // inside an overlong line, dropping bytes until its newline
    let offset = 0;
    for await (const piece of input) {
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        const batch = { lines: [], truncated: [], endOffset: offset };
        let start = 0;
        while (start < chunk.length) {
            const nl = chunk.indexOf(10, start);
            if (nl < 0) {
                if (!skipping) {
                    const rest = chunk.subarray(start);
                    carry = carry === undefined ? Buffer.from(rest) : Buffer.concat([carry, rest]);
                    if (carry.length > maxLineBytes) {
                        batch.truncated.push(batch.lines.length);
                        batch.lines.push(carry.toString('utf8', 0, maxLineBytes));
                        carry = undefined;
                        skipping = true;
                    }
                }
                break;
            }
            if (skipping) {
                skipping = false;
            }
            else if (carry !== undefined) {
                const rest = chunk.subarray(start, nl);
                const whole = Buffer.concat([carry, rest]);
                carry = undefined;
                if (whole.length > maxLineBytes)
                    batch.truncated.push(batch.lines.length);
                batch.lines.push(whole.toString('utf8', 0, Math.min(whole.length, maxLineBytes)));
            }
            else if (nl - start > maxLineBytes) {
                batch.truncated.push(batch.lines.length);
                batch.lines.push(chunk.toString('utf8', start, start + maxLineBytes));
            }
            else {
                batch.lines.push(chunk.toString('utf8', start, nl));
            }
            start = nl + 1;
            batch.endOffset = offset + start;
        }
        offset += chunk.length;
        if (batch.lines.length > 0)
            yield batch;
    }
    if (carry !== undefined && carry.length > 0) {
        yield { lines: [carry.toString('utf8')], truncated: [], endOffset: offset };
    }
}
const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Opens a file, transparently gunzipping it when it starts with the gzip magic bytes. */
export async function openMaybeGzip(path) {
    const { open } = await import('node:fs/promises');
    const fh = await open(path, 'r');
    const head = Buffer.alloc(2);
    try {
        await fh.read(head, 0, 2, 0);
    }
    finally {
        await fh.close();
    }
    const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
    if (head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
        const gunzip = createGunzip();
        raw.on('error', (err) => gunzip.destroy(err));
        return raw.pipe(gunzip);
    }
    return raw;
}
