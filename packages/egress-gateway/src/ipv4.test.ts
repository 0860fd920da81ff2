import { describe, expect, test } from '@jest/globals';
import { isIPv4 } from 'node:net';
import { ipv4ToNumber, numberToIPv4, parseIpv4Cidr } from './ipv4';

describe('IPv4 helpers', () => {
  test('ipv4ToNumber accepts exactly what node:net isIPv4 accepts', () => {
    const samples = [
      '0.0.0.0',
      '255.255.255.255',
      '10.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.04',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '',
      'a.b.c.d',
      '1.2.3.4 ',
      ' 1.2.3.4',
      '1.2.3.-4',
      '1234.1.1.1',
      '0.00.0.0',
      '::1',
      '192.168.001.1',
      '100.64.0.0',
    ];
    for (const s of samples) expect([s, ipv4ToNumber(s) !== undefined]).toEqual([s, isIPv4(s)]);
  });

  test('numbers round-trip', () => {
    for (const s of ['0.0.0.0', '255.255.255.255', '10.0.0.1', '192.168.101.1'])
      expect(numberToIPv4(ipv4ToNumber(s) ?? -1)).toBe(s);
    expect(ipv4ToNumber('1.2.3.4')).toBe(0x01020304);
  });

  test('CIDRs are canonical: host bits cleared', () => {
    expect(parseIpv4Cidr('192.168.7.1/24')).toEqual({
      network: 0xc0a80700,
      prefixLength: 24,
      text: '192.168.7.0/24',
    });
    expect(parseIpv4Cidr('0.0.0.0/0')).toMatchObject({ text: '0.0.0.0/0' });
    expect(parseIpv4Cidr('10.1.2.3/32')).toMatchObject({ text: '10.1.2.3/32' });
    expect(parseIpv4Cidr('10.0.0.0/8/8')).toBe(
      '"10.0.0.0/8/8" is not a CIDR: the prefix length must be 0 to 32',
    );
  });
});
