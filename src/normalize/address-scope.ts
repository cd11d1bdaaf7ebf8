import { isInternal } from '../net/ip-ranges.js';
import { parseIp } from '../net/ip.js';

const words = new Uint32Array(4);

/**
 * Whether an address belongs to the inside of a home/office network (private, CGNAT, loopback,
 * link-local, unique-local, unspecified, multicast, broadcast). Used to describe traffic from the
 * perimeter's point of view in `network.direction`.
 */
export function isInternalAddress(ip: string): boolean {
  const version = parseIp(ip, words);
  return version !== 0 && isInternal(version, words);
}

/**
 * ECS perimeter vocabulary from the interfaces the packet used and the address scopes:
 * into the router from outside is inbound, out to the Internet outbound, LAN-to-LAN internal.
 */
export function perimeterDirection(
  inIf: string | undefined, outIf: string | undefined, src: string | undefined, dst: string | undefined,
): string | undefined {
  return directionOf(inIf, outIf, src !== undefined, dst !== undefined,
    src !== undefined && isInternalAddress(src), dst !== undefined && isInternalAddress(dst));
}

/** perimeterDirection with the address scopes already known (see readAddress). */
export function directionOf(
  inIf: string | undefined, outIf: string | undefined, hasSrc: boolean, hasDst: boolean, srcIn: boolean, dstIn: boolean,
): string | undefined {
  if (inIf !== undefined && outIf === undefined) return !hasSrc ? undefined : srcIn ? 'internal' : 'inbound';
  if (inIf === undefined && outIf !== undefined) return !hasDst ? undefined : dstIn ? 'internal' : 'outbound';
  if (inIf !== undefined && outIf !== undefined && hasSrc && hasDst) {
    if (srcIn && dstIn) return 'internal';
    if (srcIn) return 'outbound';
    if (dstIn) return 'inbound';
    return 'external';
  }
  return undefined;
}
