/**
 * Whether a canonical address belongs to the inside of a home/office network (private, CGNAT,
 * loopback, link-local, unique-local, unspecified, multicast, broadcast). Used to describe
 * traffic from the perimeter's point of view in `network.direction`.
 */
export function isInternalAddress(ip) {
    if (ip.indexOf(':') >= 0) {
        const first = ip.slice(0, ip.indexOf(':')).toLowerCase();
        if (ip === '::1' || ip === '::')
            return true;
        const head = first === '' ? 0 : parseInt(first, 16);
        return (head & 0xfe00) === 0xfc00 || (head & 0xffc0) === 0xfe80 || (head & 0xff00) === 0xff00;
    }
    const d1 = ip.indexOf('.');
    const a = Number(ip.slice(0, d1));
    const b = Number(ip.slice(d1 + 1, ip.indexOf('.', d1 + 1)));
    return (a === 10 || a === 127 || a === 0 ||
        (a === 172 && b >= 16 && b <= 31) ||
        (a === 192 && b === 168) ||
        (a === 169 && b === 254) ||
        (a === 100 && b >= 64 && b <= 127) ||
        a >= 224 // multicast, reserved and 255.255.255.255
    );
}
/**
 * ECS perimeter vocabulary from the interfaces the packet used and the address scopes:
 * into the router from outside is inbound, out to the Internet outbound, LAN-to-LAN internal.
 */
export function perimeterDirection(inIf, outIf, src, dst) {
    const srcIn = src !== undefined && isInternalAddress(src);
    const dstIn = dst !== undefined && isInternalAddress(dst);
    if (inIf !== undefined && outIf === undefined)
        return src === undefined ? undefined : srcIn ? 'internal' : 'inbound';
    if (inIf === undefined && outIf !== undefined)
        return dst === undefined ? undefined : dstIn ? 'internal' : 'outbound';
    if (inIf !== undefined && outIf !== undefined && src !== undefined && dst !== undefined) {
        if (srcIn && dstIn)
            return 'internal';
        if (srcIn)
            return 'outbound';
        if (dstIn)
            return 'inbound';
        return 'external';
    }
    return undefined;
}
