import {
  policyV2PrefixLength,
  portRangeToPrefixes,
  POLICY_V2_STATIC_PREFIX_BITS,
  type PolicyEntryV2,
  type PolicyKeyV2,
} from '@ciliary/ebpf-maps';

/**
 * One policy-map entry as policy-model states it: identity (0 any), direction,
 * protocol (0 any), port or port range (ICMP: the type; TCP/UDP/SCTP port 0:
 * all ports), allow or deny, and an optional L7 proxy port.
 */
export interface PolicyRule {
  readonly identity: number;
  readonly direction: 'ingress' | 'egress';
  readonly protocol: number;
  readonly port: number;
  readonly endPort?: number;
  readonly deny: boolean;
  readonly proxyPort?: number;
}

const PROTO_ICMP = 1;
const PROTO_ICMPV6 = 58;
const ALL_PORT_PROTOCOLS = new Set([6, 17, 132]);

export type PolicyMapEntry = readonly [PolicyKeyV2, PolicyEntryV2];

/**
 * Encodes rules as keys of the LPM policy map (Cilium's current layout): a
 * port range becomes the fewest port prefixes that cover it; ICMP types sit in
 * the port's high byte, which is where the programs put them.
 */
export function policyMapEntries(rules: readonly PolicyRule[]): PolicyMapEntry[] {
  const out: PolicyMapEntry[] = [];
  for (const rule of rules) {
    for (const { dport, portBits } of portPrefixes(rule)) {
      const prefixlen = policyV2PrefixLength(rule.protocol, portBits);
      out.push([
        {
          prefixlen,
          sec_label: rule.identity,
          egress: rule.direction === 'egress' ? 1 : 0,
          protocol: rule.protocol,
          dport,
        },
        {
          proxy_port: rule.proxyPort ?? 0,
          deny: rule.deny ? 1 : 0,
          lpm_prefix_length: prefixlen - POLICY_V2_STATIC_PREFIX_BITS,
          auth_type: 0,
          has_explicit_auth_type: 0,
          precedence: 0,
          cookie: 0,
        },
      ]);
    }
  }
  return out;
}

function portPrefixes(rule: PolicyRule): Array<{ dport: number; portBits: number }> {
  if (rule.protocol === 0) return [{ dport: 0, portBits: 0 }];
  if (rule.protocol === PROTO_ICMP || rule.protocol === PROTO_ICMPV6) {
    return [{ dport: (rule.port & 0xff) << 8, portBits: 8 }];
  }
  if (rule.port === 0 && ALL_PORT_PROTOCOLS.has(rule.protocol)) return [{ dport: 0, portBits: 0 }];
  const last = rule.endPort ?? rule.port;
  return portRangeToPrefixes(rule.port, last).map(({ port, prefixBits }) => ({
    dport: port,
    portBits: prefixBits,
  }));
}

/** A stable identity for a key, for reconcilers. */
export function policyKeyId(key: PolicyKeyV2): string {
  return `${key.egress}/${key.sec_label}/${key.protocol}/${key.dport}/${key.prefixlen}`;
}
