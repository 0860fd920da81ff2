import { describe, expect, test } from '@jest/globals';
import { parseListenAddress } from './metrics';

describe('parseListenAddress', () => {
  test('accepts HOST:PORT and bracketed IPv6', () => {
    expect(parseListenAddress('127.0.0.1:9962')).toEqual({ host: '127.0.0.1', port: 9962 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
  });
  test('rejects what is not an address', () => {
    expect(() => parseListenAddress('9962')).toThrow('invalid listen address "9962": expected HOST:PORT');
    expect(() => parseListenAddress('h:70000')).toThrow(/invalid listen address/);
  });
});
