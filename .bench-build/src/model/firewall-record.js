/**
 * A record with every field present (undefined until set), so all records share one hidden class
 * and the parser's property stores stay monomorphic; JSON.stringify skips the undefined ones.
 */
export function newFirewallRecord(vendor, format) {
    return {
        vendor, format, action: undefined, ruleName: undefined, ruleId: undefined, ruleset: undefined,
        ruleDescription: undefined, ingressZone: undefined, egressZone: undefined, inInterface: undefined,
        outInterface: undefined, srcIp: undefined, dstIp: undefined, srcPort: undefined, dstPort: undefined,
        srcMac: undefined, dstMac: undefined, transport: undefined, ianaNumber: undefined, icmpType: undefined,
        icmpCode: undefined, partial: undefined, iptables: undefined,
    };
}
