import { describe, expect, test } from '@jest/globals';
import {
  cidrIdentityLabels,
  cidrLabelKey,
  formatPrefix,
  parsePrefix,
  prefixContains,
  subtractPrefixes,
  type Prefix,
} from './cidr';
import { formatLabel } from './labels';

const p = (text: string): Prefix => {
  const prefix = parsePrefix(text);
  if (!prefix) throw new Error(`bad prefix ${text}`);
  return prefix;
};

describe('CIDR prefixes', () => {
  test('parse clears host bits, takes bare addresses as host prefixes and rejects junk', () => {
    expect(formatPrefix(p('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(formatPrefix(p('10.1.2.3'))).toBe('10.1.2.3/32');
    expect(formatPrefix(p('2001:db8::1/32'))).toBe('2001:db8::/32');
    expect(parsePrefix('10.0.0.0/33')).toBeUndefined();
    expect(parsePrefix('10.1/8')).toBeUndefined();
    expect(parsePrefix('not-an-ip')).toBeUndefined();
  });

  test('except carves the smallest covering set of prefixes out of the CIDR', () => {
    expect(subtractPrefixes(p('10.0.0.0/8'), [p('10.96.0.0/12')]).map(formatPrefix)).toEqual([
      '10.0.0.0/10',
      '10.64.0.0/11',
      '10.112.0.0/12',
      '10.128.0.0/9',
    ]);
    expect(subtractPrefixes(p('192.168.0.0/24'), [p('192.168.0.0/24')])).toEqual([]);
    expect(subtractPrefixes(p('192.168.0.0/24'), [p('10.0.0.0/8')]).map(formatPrefix)).toEqual([
      '192.168.0.0/24',
    ]);
    const rest = subtractPrefixes(p('0.0.0.0/0'), [p('10.0.0.0/8'), p('172.16.0.0/12')]);
    expect(rest.some((r) => prefixContains(r, p('10.1.1.1')))).toBe(false);
    expect(rest.some((r) => prefixContains(r, p('172.20.0.1')))).toBe(false);
    expect(rest.some((r) => prefixContains(r, p('8.8.8.8')))).toBe(true);
  });

  test('CIDR identity labels cover every enclosing prefix plus world; a /0 is only world', () => {
    expect(cidrIdentityLabels(p('10.0.0.0/2')).map(formatLabel)).toEqual([
      'cidr:0.0.0.0/0',
      'cidr:0.0.0.0/1',
      'cidr:0.0.0.0/2',
      'reserved:world',
    ]);
    expect(cidrIdentityLabels(p('0.0.0.0/0')).map(formatLabel)).toEqual(['reserved:world']);
  });

  test('IPv6 label keys use dashes, with a zero where a dash would lead or trail', () => {
    expect(cidrLabelKey(p('2001:db8::/32'))).toBe('2001-db8--0/32');
    expect(cidrLabelKey(p('::/0'))).toBe('0--0/0');
    expect(cidrLabelKey(p('2001:db8::1/128'))).toBe('2001-db8--1/128');
  });
});
