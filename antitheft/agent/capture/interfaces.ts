import { networkInterfaces } from 'node:os';

export interface NetInterface { name: string; address: string; family: 'IPv4' | 'IPv6'; mac: string; internal: boolean; cidr: string | null }

/** The computer's own addresses: on a stolen laptop, the network it joined (a café's, a thief's home). */
export function captureInterfaces(): NetInterface[] {
  const out: NetInterface[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const i of list ?? []) {
      out.push({ name, address: i.address, family: i.family === 'IPv6' ? 'IPv6' : 'IPv4', mac: i.mac, internal: i.internal, cidr: i.cidr ?? null });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address));
}

/** Changes when the set of non-internal addresses changes: the daemon then sends a report at once. */
export function interfacesFingerprint(list: NetInterface[]): string {
  return list.filter((i) => !i.internal).map((i) => `${i.name}/${i.address}`).sort().join(',');
}
