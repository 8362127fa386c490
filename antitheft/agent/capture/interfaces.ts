import { networkInterfaces } from 'node:os';

export interface NetInterface { name: string; address: string; family: 'IPv4' | 'IPv6'; mac: string; internal: boolean; cidr: string | null }

/** The contract's limit on interfaces per report (core/antitheft/schemas.ts); a container host can have more. */
export const MAX_INTERFACES = 128;

const byNameThenAddress = (a: NetInterface, b: NetInterface) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address);

/** The computer's own addresses: on a stolen laptop, the network it joined (a café's, a thief's home). */
export function captureInterfaces(): NetInterface[] {
  const out: NetInterface[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const i of list ?? []) {
      const family = i.family === 'IPv6' || (i.family as unknown) === 6 ? 'IPv6' : 'IPv4'; // Node 18.0-18.3 gave numbers
      out.push({ name: name.slice(0, 64), address: i.address, family, mac: i.mac, internal: i.internal, cidr: i.cidr ?? null });
    }
  }
  if (out.length <= MAX_INTERFACES) return out.sort(byNameThenAddress);
  // Over the limit, the external addresses are the ones that say where the computer is.
  const external = out.filter((i) => !i.internal).sort(byNameThenAddress);
  const internal = out.filter((i) => i.internal).sort(byNameThenAddress);
  return [...external, ...internal].slice(0, MAX_INTERFACES).sort(byNameThenAddress);
}

/** Changes when the set of non-internal addresses changes: the daemon then sends a report at once. */
export function interfacesFingerprint(list: NetInterface[]): string {
  return [...new Set(list.filter((i) => !i.internal).map((i) => `${i.name}/${i.address}`))].sort().join(',');
}
