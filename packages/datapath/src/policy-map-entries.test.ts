import { describe, expect, test } from '@jest/globals';
import { policyMapEntries } from './policy-map-entries';

describe('policyMapEntries', () => {
  test('L3-only, whole-protocol, single-port and ICMP keys get Cilium prefix lengths', () => {
    const entries = policyMapEntries([
      { identity: 1001, direction: 'ingress', protocol: 0, port: 0, deny: false },
      { identity: 0, direction: 'egress', protocol: 17, port: 0, deny: false },
      { identity: 1001, direction: 'ingress', protocol: 6, port: 8080, deny: true },
      { identity: 1001, direction: 'ingress', protocol: 1, port: 8, deny: false },
    ]);
    expect(
      entries.map(([k, v]) => [k.prefixlen, k.egress, k.protocol, k.dport, v.lpm_prefix_length, v.deny]),
    ).toEqual([
      [40, 0, 0, 0, 0, 0],
      [48, 1, 17, 0, 8, 0],
      [64, 0, 6, 8080, 24, 1],
      [56, 0, 1, 0x0800, 16, 0],
    ]);
  });

  test('a port range becomes the fewest covering prefixes', () => {
    const entries = policyMapEntries([
      { identity: 7, direction: 'egress', protocol: 6, port: 8000, endPort: 8011, deny: false },
    ]);
    expect(entries.map(([k]) => [k.dport, k.prefixlen])).toEqual([
      [8000, 61],
      [8008, 62],
    ]);
  });
});
