import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { HostInterfaces } from './host';

/**
 * Reads the local node's interfaces and IPv4 default route: addresses from
 * getifaddrs (node's `os.networkInterfaces`, kernel order), the default route
 * from `/proc/net/route` (the one with the lowest metric).
 */
export function readHostInterfaces(routeTable = '/proc/net/route'): HostInterfaces {
  const interfaces = Object.entries(networkInterfaces()).map(([name, addrs]) => ({
    name,
    ipv4: (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
  }));
  const defaultRouteInterface = defaultRouteFrom(readRouteTable(routeTable));
  return {
    interfaces,
    ...(defaultRouteInterface !== undefined ? { defaultRouteInterface } : {}),
  };
}

function readRouteTable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The interface of the IPv4 default route (destination and mask 0) with the lowest metric. */
export function defaultRouteFrom(table: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of table.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (iface === undefined || destination !== '00000000' || mask !== '00000000') continue;
    const up = (parseInt(flags ?? '0', 16) & 0x1) !== 0;
    if (!up) continue;
    const m = Number(metric ?? '0');
    if (best === undefined || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}
