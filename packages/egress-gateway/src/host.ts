import { IPV4_ZERO } from './ipv4';

/** One network interface of the local node and its IPv4 addresses, in the kernel's order. */
export interface HostInterface {
  readonly name: string;
  readonly ipv4: readonly string[];
}

/**
 * The local node's interfaces as plain data, so deriving the egress IP stays a
 * pure computation (the agent reads them with `readHostInterfaces`).
 */
export interface HostInterfaces {
  readonly interfaces: readonly HostInterface[];
  /** The interface holding the IPv4 default route, if any. */
  readonly defaultRouteInterface?: string;
}

/** The egress IP a gateway node derived, with the interface it lives on or why it could not be found. */
export interface EgressIpDerivation {
  /** `0.0.0.0` when it could not be derived (Cilium's EgressIPNotFoundIPv4). */
  readonly egressIP: string;
  readonly interface?: string;
  readonly error?: string;
}

/**
 * Cilium's `deriveFromPolicyGatewayConfig` on the gateway node: `interface` gives
 * its first IPv4 address; `egressIP` is used as given (and must be on an
 * interface); neither means the first IPv4 address of the default-route interface.
 * `host` undefined means the node's interfaces are unknown (e.g. computing for
 * another node offline).
 */
export function deriveEgressIP(
  gateway: { readonly interface?: string; readonly egressIP?: string },
  host: HostInterfaces | undefined,
): EgressIpDerivation {
  if (gateway.interface !== undefined) return firstAddressOf(gateway.interface, host);
  if (gateway.egressIP !== undefined) {
    const egressIP = gateway.egressIP;
    if (host === undefined) return { egressIP, error: 'the interfaces of the gateway node are unknown' };
    const owner = host.interfaces.find((i) => i.ipv4.includes(egressIP));
    return owner
      ? { egressIP, interface: owner.name }
      : { egressIP, error: `no interface of the gateway node holds the egress IP ${egressIP}` };
  }
  if (host === undefined)
    return { egressIP: IPV4_ZERO, error: 'the interfaces of the gateway node are unknown' };
  if (host.defaultRouteInterface === undefined)
    return { egressIP: IPV4_ZERO, error: 'the gateway node has no IPv4 default route' };
  return firstAddressOf(host.defaultRouteInterface, host);
}

function firstAddressOf(name: string, host: HostInterfaces | undefined): EgressIpDerivation {
  if (host === undefined)
    return {
      egressIP: IPV4_ZERO,
      interface: name,
      error: 'the interfaces of the gateway node are unknown',
    };
  const iface = host.interfaces.find((i) => i.name === name);
  if (!iface)
    return { egressIP: IPV4_ZERO, interface: name, error: `the gateway node has no interface ${name}` };
  const first = iface.ipv4[0];
  if (first === undefined)
    return { egressIP: IPV4_ZERO, interface: name, error: `interface ${name} has no IPv4 address` };
  return { egressIP: first, interface: name };
}
