import { describe, expect, test } from '@jest/globals';
import { ValidationError } from '@ciliary/core';
import {
  maglevBackendName,
  maglevSeeds,
  maglevTable,
  murmur3x64128,
  runLengthEncode,
  type MaglevBackend,
} from '../index';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex64 = (n: bigint): string => n.toString(16).padStart(16, '0');

describe('murmur3 x64_128', () => {
  test('published vectors', () => {
    expect(murmur3x64128(text(''), 0).map(hex64)).toEqual(['0000000000000000', '0000000000000000']);
    expect(murmur3x64128(text('hello'), 0).map(hex64)).toEqual(['cbd8a7b341bd9b02', '5b1e906a48ae1d19']);
    expect(murmur3x64128(text('The quick brown fox jumps over the lazy dog'), 0).map(hex64)).toEqual([
      'e34bbc7bbc071b6c',
      '7a433ca9c49a9347',
    ]);
  });
});

// Cilium's mkAddr(i): IPv4 i (big-endian), port i, TCP.
const mkAddr = (i: number, id: number, weight: number): MaglevBackend => ({
  id,
  address: `0.0.0.${i}`,
  port: i,
  weight,
});

describe('Maglev tables as Cilium computes them', () => {
  test('the default seed splits as Cilium documents', () => {
    expect(maglevSeeds('JLfvgnHc2kaSUFaI')).toEqual({
      murmur: 0x24b7ef82,
      jhash0: 0x71dcda46,
      jhash1: 0x92505688,
    });
    expect(maglevSeeds('short')).toBeUndefined();
  });

  test('names: 1.12 hashes IP:PORT, current Cilium [IP:PORT/PROTO,State:active]', () => {
    const b = { id: 1, address: '10.0.0.1', port: 8080 };
    expect(maglevBackendName(b, '1.12')).toBe('10.0.0.1:8080');
    expect(maglevBackendName({ ...b, address: 'fd00::1', internal: true }, '1.12')).toBe('[fd00::1]:8080/i');
    expect(maglevBackendName(b, 'current')).toBe('[10.0.0.1:8080/TCP,State:active]');
    expect(maglevBackendName({ ...b, protocol: 'UDP' }, 'current')).toBe('[10.0.0.1:8080/UDP,State:active]');
  });

  test("Cilium's TestReproducible: M=251, default seed, 4 weighted backends", () => {
    const expected =
      '2(5),3(1),2(3),1(1),2(2),0(1),2(1),3(1),2(1),3(1),2(1),1(1),2(7),1(1),2(14),3(1),2(1),' +
      '1(2),2(12),3(1),2(3),1(1),2(4),3(1),2(8),3(1),2(2),1(1),2(16),1(2),2(3),3(1),2(11),1(2),2(4),3(1),2(3),' +
      '1(1),2(4),3(1),2(1),0(1),1(1),2(8),1(1),2(7),1(1),2(4),3(1),2(1),3(1),2(9),1(2),2(5),1(1),2(7),3(1),2(1),' +
      '3(1),1(1),2(8),1(1),2(4),0(1),2(1),1(1),2(5),3(1),2(3),1(1),2(4),3(1),2(3),1(1),2(12),0(1),3(1),2(3),3(1),' +
      '2(4),3(1),2(2),1(1),2(7)';
    const backends = [mkAddr(1, 0, 2), mkAddr(3, 1, 13), mkAddr(4, 2, 111), mkAddr(5, 3, 10)];
    expect(runLengthEncode(maglevTable(backends, { tableSize: 251, naming: 'current' }))).toBe(expected);
  });

  test("Cilium's weighted counts for M=1021: 16/98/832/75", () => {
    const backends = [mkAddr(1, 1, 2), mkAddr(2, 2, 13), mkAddr(3, 3, 111), mkAddr(4, 4, 10)];
    const table = maglevTable(backends, { tableSize: 1021, naming: 'current' });
    const counts = [1, 2, 3, 4].map((id) => table.filter((x) => x === id).length);
    expect(counts).toEqual([16, 98, 832, 75]);
  });

  test('removing one of 3 backends moves under 1% of the others’ slots (M=1021)', () => {
    const three = [1, 2, 3].map((i) => mkAddr(i, i, 1));
    const before = maglevTable(three, { tableSize: 1021 });
    const after = maglevTable(three.slice(0, 2), { tableSize: 1021 });
    let moved = 0;
    before.forEach((id, slot) => {
      if (id !== 3 && after[slot] !== id) moved++;
      if (id === 3) expect([1, 2]).toContain(after[slot]);
    });
    expect(moved / 1021).toBeLessThan(0.01);
  });

  test('every slot is filled, evenly without weights, independent of input order', () => {
    const backends = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      address: `10.0.0.${i + 1}`,
      port: 80,
    }));
    const table = maglevTable(backends, { tableSize: 1021 });
    expect(table.length).toBe(1021);
    const counts = backends.map((b) => table.filter((x) => x === b.id).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(maglevTable([...backends].reverse(), { tableSize: 1021 })).toEqual(table);
  });

  test('weight 0 takes a backend out; bad input is one ValidationError with every problem', () => {
    const table = maglevTable(
      [
        { id: 1, address: '10.0.0.1', port: 80 },
        { id: 2, address: '10.0.0.2', port: 80, weight: 0 },
      ],
      {
        tableSize: 251,
      },
    );
    expect(new Set(table)).toEqual(new Set([1]));
    expect(maglevTable([], { tableSize: 251 })).toHaveLength(0);
    let caught: unknown;
    try {
      maglevTable([{ id: 1, address: '10.0.0.1', port: 70000, weight: -1 }], { tableSize: 250, seed: 'x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).issues.map((i) => i.path)).toEqual([
      '/tableSize',
      '/seed',
      '/backends/0/weight',
      '/backends/0/port',
    ]);
  });
});
