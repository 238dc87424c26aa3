/**
 * CIDR membership written independently of components/net.ts, the oracle its property tests check placeInCidr (and
 * the config's address rules) against.
 */
import { Cidr, ipToInt } from "../../components/net";

/** True for a host address of the CIDR (not its network or broadcast address). */
export function cidrContains(cidr: Cidr, ip: string): boolean {
    const n = ipToInt(ip);
    return n > cidr.network && n < cidr.broadcast;
}
