import { describe, expect, test } from '@jest/globals';
import { intersectHostnames, wildcardAuthorityRegex } from './hostnames';

describe('Gateway API hostname intersection', () => {
  test.each([
    [undefined, [], ['*']],
    [undefined, ['a.example.com'], ['a.example.com']],
    ['*.example.com', [], ['*.example.com']],
    ['*.example.com', ['a.example.com', 'b.example.org'], ['a.example.com']],
    ['*.example.com', ['example.com'], []],
    ['a.example.com', ['*.example.com'], ['a.example.com']],
    ['*.a.example.com', ['*.example.com'], ['*.a.example.com']],
    ['*.example.com', ['*.a.example.com'], ['*.a.example.com']],
    ['a.example.com', ['b.example.com'], []],
  ] as const)('listener %s x route %j = %j', (listener, route, expected) => {
    expect(intersectHostnames(listener, route)).toEqual(expected);
  });

  test('a wildcard host gets an authority regex for exactly one more label, port allowed', () => {
    const regex = new RegExp(wildcardAuthorityRegex('*.foo.com')!);
    expect(regex.test('bar.foo.com')).toBe(true);
    expect(regex.test('bar.foo.com:8080')).toBe(true);
    expect(regex.test('baz.bar.foo.com')).toBe(false);
    expect(regex.test('foo.com')).toBe(false);
    expect(wildcardAuthorityRegex('foo.com')).toBeUndefined();
  });
});
