import { hash } from 'node:crypto';
import { ipBytes } from './ip.js';
/**
 * Community ID v1 (corelight/community-id-spec): a flow hash that other tools (Zeek, Suricata,
 * Elastic's community_id processor) compute identically, so a blocked attempt can be joined with
 * their records. Unlike Elasticsearch's processor, port 0 is hashed as the spec says.
 */
const ICMP4_PAIRS = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIRS = {
    128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
};
const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const PROTO_SCTP = 132;
function compare(a, b) {
    for (let i = 0; i < a.length; i++) {
        const d = (a[i] ?? 0) - (b[i] ?? 0);
        if (d !== 0)
            return d;
    }
    return 0;
}
/**
 * For ICMP, `srcPort`/`dstPort` are the ICMP type and code. Returns undefined when the spec has no
 * answer (ports missing for a port protocol, mixed address families).
 */
export function communityId(srcIp, dstIp, proto, srcPort, dstPort, seed = 0) {
    let sa = ipBytes(srcIp);
    let da = ipBytes(dstIp);
    if (sa.length !== da.length)
        return undefined;
    const hasPorts = proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMP6;
    let sp = 0;
    let dp = 0;
    let oneWay = false;
    if (hasPorts) {
        if (srcPort === undefined || dstPort === undefined)
            return undefined;
        sp = srcPort;
        dp = dstPort;
        if (proto === PROTO_ICMP || proto === PROTO_ICMP6) {
            const pairs = proto === PROTO_ICMP ? ICMP4_PAIRS : ICMP6_PAIRS;
            const counterpart = pairs[srcPort];
            if (counterpart === undefined)
                oneWay = true;
            else
                dp = counterpart;
        }
    }
    if (!oneWay) {
        const c = compare(sa, da);
        if (c > 0 || (c === 0 && sp > dp)) {
            [sa, da] = [da, sa];
            [sp, dp] = [dp, sp];
        }
    }
    const buf = Buffer.alloc(2 + sa.length * 2 + 2 + (hasPorts ? 4 : 0));
    let o = buf.writeUInt16BE(seed & 0xffff, 0);
    buf.set(sa, o);
    o += sa.length;
    buf.set(da, o);
    o += da.length;
    o = buf.writeUInt8(proto, o);
    o = buf.writeUInt8(0, o);
    if (hasPorts) {
        o = buf.writeUInt16BE(sp & 0xffff, o);
        buf.writeUInt16BE(dp & 0xffff, o);
    }
    return '1:' + hash('sha1', buf, 'base64');
}
