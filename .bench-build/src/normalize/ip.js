import ipaddr from 'ipaddr.js';
/**
 * Canonical text of an IP address, or undefined when it is not one.
 *
 * IPv4 is checked by hand (it is on every line). IPv6 — which netfilter prints zero-padded and
 * uncompressed — goes through ipaddr.js and comes out in RFC 5952 form, so the same address
 * always indexes, aggregates and hashes the same way.
 */
export function normalizeIp(text) {
    if (text.indexOf(':') < 0)
        return isIpv4(text) ? text : undefined;
    let t = text;
    if (t.charCodeAt(0) === 91 && t.charCodeAt(t.length - 1) === 93)
        t = t.slice(1, -1);
    const zone = t.indexOf('%');
    if (zone >= 0)
        t = t.slice(0, zone);
    if (!ipaddr.IPv6.isValid(t))
        return undefined;
    try {
        return ipaddr.IPv6.parse(t).toRFC5952String();
    }
    catch {
        return undefined;
    }
}
/** Dotted quad without leading zeros (which some parsers read as octal). */
export function isIpv4(s) {
    const n = s.length;
    if (n < 7 || n > 15)
        return false;
    let parts = 0;
    let value = 0;
    let digits = 0;
    for (let i = 0; i <= n; i++) {
        const c = i < n ? s.charCodeAt(i) : 46;
        if (c === 46) {
            if (digits === 0 || value > 255)
                return false;
            parts++;
            value = 0;
            digits = 0;
            continue;
        }
        const d = c - 48;
        if (d < 0 || d > 9)
            return false;
        if (digits === 1 && value === 0)
            return false; // leading zero
        value = value * 10 + d;
        digits++;
    }
    return parts === 4;
}
/** Network-order bytes of a canonical address (as produced by normalizeIp). */
export function ipBytes(canonical) {
    if (canonical.indexOf(':') < 0) {
        const out = new Uint8Array(4);
        let k = 0;
        let v = 0;
        for (let i = 0; i < canonical.length; i++) {
            const c = canonical.charCodeAt(i);
            if (c === 46) {
                out[k++] = v;
                v = 0;
            }
            else
                v = v * 10 + (c - 48);
        }
        out[k] = v;
        return out;
    }
    return Uint8Array.from(ipaddr.IPv6.parse(canonical).toByteArray());
}
