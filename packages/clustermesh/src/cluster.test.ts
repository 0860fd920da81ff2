import { describe, expect, test } from '@jest/globals';
import { clusterIdOfIdentity, identityBelongsTo, identityRange, validateClusterInfo } from './cluster';
import { canonicalIp, compareIps, parseCidr } from './ip';

describe('cluster names and IDs', () => {
  test('valid ones pass', () => {
    expect(validateClusterInfo({ name: 'cluster-1', id: 1 })).toEqual({
      ok: true,
      value: { name: 'cluster-1', id: 1 },
    });
    expect(validateClusterInfo({ name: 'a', id: 255 }).ok).toBe(true);
  });

  test('every problem is reported at once', () => {
    const result = validateClusterInfo({ name: 'Bad_Name-', id: 256 }, 'flags');
    expect(result.ok ? [] : result.issues).toEqual([
      {
        document: 'flags',
        path: '/name',
        message:
          'cluster name "Bad_Name-" must consist of lower case alphanumeric characters and \'-\', and start and end with an alphanumeric character',
      },
      {
        document: 'flags',
        path: '/id',
        message: 'cluster ID 256 is out of range: must be an integer from 1 to 255',
      },
    ]);
    expect(validateClusterInfo({ name: 'x'.repeat(33), id: 0 }).ok).toBe(false);
    expect(validateClusterInfo({ name: '', id: 1.5 }).ok).toBe(false);
  });
});

describe('identity ranges', () => {
  test('each cluster owns 65,536 identities above its ID shifted by 16', () => {
    expect(identityRange(1)).toEqual({ min: 65_536, max: 131_071 });
    expect(identityRange(255)).toEqual({ min: 16_711_680, max: 16_777_215 });
    expect(identityRange(0)).toEqual({ min: 256, max: 65_535 });
  });

  test('membership, with reserved identities valid everywhere', () => {
    expect(identityBelongsTo(65_536, 1)).toBe(true);
    expect(identityBelongsTo(131_072, 1)).toBe(false);
    expect(identityBelongsTo(6, 2)).toBe(true);
    expect(clusterIdOfIdentity(131_073)).toBe(2);
    expect(clusterIdOfIdentity(2)).toBeUndefined();
  });
});

describe('IP addresses', () => {
  test('are written as Go writes them', () => {
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(canonicalIp('FD00:0:0:0:0:0:0:1')).toBe('fd00::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp('010.0.0.1')).toBeUndefined();
    expect(canonicalIp('fe80::1%eth0')).toBeUndefined();
    expect(canonicalIp('nope')).toBeUndefined();
  });

  test('CIDRs keep only the network bits', () => {
    expect(parseCidr('10.1.2.3/16')).toEqual({ ip: '10.1.0.0', prefixLength: 16, family: 4 });
    expect(parseCidr('fd00::1:2/112')).toEqual({ ip: 'fd00::1:0', prefixLength: 112, family: 6 });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  test('sort numerically', () => {
    expect(['10.0.0.10', 'fd00::1', '10.0.0.9', '9.0.0.0'].sort(compareIps)).toEqual([
      '9.0.0.0',
      '10.0.0.9',
      '10.0.0.10',
      'fd00::1',
    ]);
  });
});
