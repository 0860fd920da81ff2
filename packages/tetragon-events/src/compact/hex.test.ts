import { HexCache, decimalToHex } from './hex';

describe('decimalToHex', () => {
  test.each([
    ['0', '0'],
    ['255', 'ff'],
    ['999999999999999', '38d7ea4c67fff'],
    ['9007199254740993', '20000000000001'],
    ['18446744073709551615', 'ffffffffffffffff'],
    ['18446744072635809792', 'ffffffffc0000000'],
  ])('%s', (decimal, hex) => {
    expect(decimalToHex(decimal)).toBe(hex);
    expect(new HexCache().of(decimal)).toBe(hex);
  });

  test('a missing value is 0', () => {
    expect(decimalToHex(undefined)).toBe('0');
  });

  test('the cache stays bounded and keeps answering right after it is emptied', () => {
    const cache = new HexCache();
    for (let i = 0; i < 10_000; i++) {
      const value = (18446744073709551615n - BigInt(i)).toString();
      expect(cache.of(value)).toBe((18446744073709551615n - BigInt(i)).toString(16));
    }
    expect(cache.size).toBeLessThanOrEqual(4096);
  });
});
