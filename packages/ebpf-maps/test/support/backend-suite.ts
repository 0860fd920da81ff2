import { describe, expect, test } from '@jest/globals';
import { bpfMaps, kernelTest } from '@ciliary/testing';
import {
  InvalidArgumentError,
  KeyExistsError,
  KeyNotFoundError,
  MapError,
  MapFlags,
  MapFullError,
  MapType,
  NotSupportedError,
  perCpuValueStride,
  type MapBackend,
  type MapSpec,
} from '../../src';

/** Where the suite runs: a backend factory and the pin root it may use. */
export interface SuiteTarget {
  readonly label: string;
  readonly backend: () => MapBackend;
  readonly pinRoot: () => string;
  /** `kernelTest` for the kernel, plain `test` for memory. */
  readonly kernel: boolean;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const readU64 = (b: Uint8Array, offset = 0): number =>
  Number(new DataView(b.buffer, b.byteOffset).getBigUint64(offset, true));
/** An LPM key: host-order prefixlen and 4 bytes of IPv4 data. */
const lpm = (cidr: string): Uint8Array => {
  const [ip = '', len = '32'] = cidr.split('/');
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, Number(len), true);
  key.set(ip.split('.').map(Number), 4);
  return key;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

let counter = 0;
const spec = (
  type: MapSpec['type'],
  keySize: number,
  valueSize: number,
  maxEntries: number,
  flags = 0,
): MapSpec => ({
  name: `ciliary_t${++counter}`,
  type,
  keySize,
  valueSize,
  maxEntries,
  flags,
  pinning: 'none',
});

function expectMapError<T extends MapError>(
  fn: () => unknown,
  type: new (...args: never[]) => T,
  errno: number,
  name: string,
): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as MapError).errno).toBe(errno);
  expect((caught as MapError).mapName).toBe(name);
}

/** The one suite both backends must pass: the kernel's map semantics, as the agent relies on them. */
export function backendSuite(target: SuiteTarget): void {
  const it = (name: string, body: () => void): void =>
    target.kernel ? kernelTest(name, bpfMaps, body) : test(name, body);

  describe(`${target.label} backend`, () => {
    it('hash: update flags, lookup, delete, iterate, typed errors with errno and map name', () => {
      const s = spec(MapType.Hash, 4, 8, 4);
      const map = target.backend().open(s);
      try {
        map.update(u32(1), u64(10));
        map.update(u32(2), u64(20), 'noexist');
        expect(readU64(map.lookup(u32(1))!)).toBe(10);
        expect(map.lookup(u32(3))).toBeUndefined();
        expectMapError(() => map.update(u32(1), u64(11), 'noexist'), KeyExistsError, 17, s.name);
        expectMapError(() => map.update(u32(3), u64(30), 'exist'), KeyNotFoundError, 2, s.name);
        map.update(u32(1), u64(12), 'exist');
        expect(readU64(map.lookup(u32(1))!)).toBe(12);
        map.delete(u32(2));
        expectMapError(() => map.delete(u32(2)), KeyNotFoundError, 2, s.name);
        map.update(u32(2), u64(20));
        map.update(u32(3), u64(30));
        map.update(u32(4), u64(40));
        expectMapError(() => map.update(u32(5), u64(50)), MapFullError, 7, s.name);
        map.update(u32(4), u64(41)); // replacing an entry of a full map is fine
        const keys = [...map.keys()]
          .map((k) => new DataView(k.buffer, k.byteOffset).getUint32(0, true))
          .sort();
        expect(keys).toEqual([1, 2, 3, 4]);
        const entries = [...map.entries()].map(([k, v]) => [hex(k), readU64(v)]).sort();
        expect(entries).toEqual([
          [hex(u32(1)), 12],
          [hex(u32(2)), 20],
          [hex(u32(3)), 30],
          [hex(u32(4)), 41],
        ]);
      } finally {
        map.close();
      }
    });

    it('wrong key or value sizes are rejected before reaching the map', () => {
      const s = spec(MapType.Hash, 4, 8, 4);
      const map = target.backend().open(s);
      expectMapError(() => map.update(new Uint8Array(3), u64(1)), InvalidArgumentError, 22, s.name);
      expectMapError(() => map.update(u32(1), new Uint8Array(4)), InvalidArgumentError, 22, s.name);
      expectMapError(() => map.lookup(new Uint8Array(5)), InvalidArgumentError, 22, s.name);
      map.close();
      expectMapError(() => map.lookup(u32(1)), MapError, 9, s.name);
    });

    it('LRU hash: a full map evicts instead of failing', () => {
      const map = target.backend().open(spec(MapType.LruHash, 4, 8, 64));
      for (let i = 0; i < 256; i++) map.update(u32(i), u64(i));
      const count = [...map.keys()].length;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(64);
      expect(readU64(map.lookup(u32(255))!)).toBe(255);
      map.close();
    });

    it('LPM trie: longest-prefix match, exact delete, ENOSPC when full, batch reads', () => {
      const s = spec(MapType.LpmTrie, 8, 8, 3, MapFlags.NoPrealloc);
      const map = target.backend().open(s);
      map.update(lpm('10.0.0.0/8'), u64(8));
      map.update(lpm('10.1.0.0/16'), u64(16));
      expect(readU64(map.lookup(lpm('10.1.2.3/32'))!)).toBe(16);
      expect(readU64(map.lookup(lpm('10.2.0.1/32'))!)).toBe(8);
      expect(readU64(map.lookup(lpm('10.1.0.0/12'))!)).toBe(8); // the key's own prefixlen bounds the match
      expect(map.lookup(lpm('11.0.0.1/32'))).toBeUndefined();
      expectMapError(() => map.update(lpm('10.0.0.0/8'), u64(9), 'noexist'), KeyExistsError, 17, s.name);
      expectMapError(() => map.update(lpm('12.0.0.0/8'), u64(9), 'exist'), KeyNotFoundError, 2, s.name);
      map.update(lpm('0.0.0.0/0'), u64(0));
      expectMapError(() => map.update(lpm('172.16.0.0/12'), u64(12)), MapFullError, 28, s.name);
      expectMapError(() => map.delete(lpm('10.1.0.0/24')), KeyNotFoundError, 2, s.name);
      map.delete(lpm('10.1.0.0/16'));
      expect(readU64(map.lookup(lpm('10.1.2.3/32'))!)).toBe(8);
      expect(readU64(map.lookup(lpm('11.0.0.1/32'))!)).toBe(0);
      expect([...map.keys()].map(hex).sort()).toEqual([lpm('0.0.0.0/0'), lpm('10.0.0.0/8')].map(hex).sort());
      expect(
        map
          .lookupBatch()
          .map(([k]) => hex(k))
          .sort(),
      ).toEqual([lpm('0.0.0.0/0'), lpm('10.0.0.0/8')].map(hex).sort());
      expectMapError(
        () => map.update(lpm('10.0.0.0/8').fill(33, 0, 1), u64(1)),
        InvalidArgumentError,
        22,
        s.name,
      );
      map.close();
    });

    it('array: every index exists, bounds give E2BIG, elements cannot be deleted', () => {
      const s = spec(MapType.Array, 4, 8, 4);
      const map = target.backend().open(s);
      expect(readU64(map.lookup(u32(3))!)).toBe(0);
      expect(map.lookup(u32(4))).toBeUndefined();
      map.update(u32(2), u64(7));
      expect(readU64(map.lookup(u32(2))!)).toBe(7);
      expectMapError(() => map.update(u32(4), u64(1)), MapFullError, 7, s.name);
      expectMapError(() => map.update(u32(1), u64(1), 'noexist'), KeyExistsError, 17, s.name);
      expectMapError(() => map.delete(u32(1)), InvalidArgumentError, 22, s.name);
      expect([...map.keys()]).toHaveLength(4);
      expect(map.lookupBatch()).toHaveLength(4);
      expectMapError(() => map.deleteBatch([u32(1)]), NotSupportedError, 524, s.name);
      map.close();
    });

    it('per-CPU hash: one value per possible CPU, padded to 8 bytes', () => {
      const backend = target.backend();
      const cpus = backend.possibleCpus;
      const s = spec(MapType.PerCpuHash, 4, 12, 8);
      const map = backend.open(s);
      const stride = perCpuValueStride(12);
      expect(stride).toBe(16);
      expect(map.valueBufferSize).toBe(stride * cpus);
      const value = new Uint8Array(stride * cpus);
      for (let cpu = 0; cpu < cpus; cpu++) value.set(u64(100 + cpu), cpu * stride);
      map.update(u32(1), value);
      const read = map.lookup(u32(1))!;
      for (let cpu = 0; cpu < cpus; cpu++) expect(readU64(read, cpu * stride)).toBe(100 + cpu);
      expectMapError(() => map.update(u32(2), new Uint8Array(12)), InvalidArgumentError, 22, s.name);
      map.close();
    });

    it('batch operations on a hash map', () => {
      const s = spec(MapType.Hash, 4, 8, 1000);
      const map = target.backend().open(s);
      const entries = Array.from({ length: 300 }, (_, i) => [u32(i), u64(i * 2)] as const);
      map.updateBatch(entries);
      const read = map.lookupBatch(64);
      expect(read).toHaveLength(300);
      expect(read.map(([k, v]) => [hex(k), readU64(v)]).sort()).toEqual(
        entries.map(([k, v]) => [hex(k), readU64(v)]).sort(),
      );
      map.deleteBatch(entries.slice(0, 100).map(([k]) => k));
      expect([...map.keys()]).toHaveLength(200);
      expectMapError(() => map.deleteBatch([u32(0)]), KeyNotFoundError, 2, s.name);
      map.updateBatch([[u32(150), u64(1)]]);
      expect(readU64(map.lookup(u32(150))!)).toBe(1);
      map.close();
    });

    it('packed batch operations: one buffer of keys and one of values, no per-entry copies', () => {
      const s = spec(MapType.Hash, 4, 8, 1000);
      const map = target.backend().open(s);
      const count = 300;
      const keys = new Uint8Array(4 * count);
      const values = new Uint8Array(8 * count);
      for (let i = 0; i < count; i++) {
        keys.set(u32(i), i * 4);
        values.set(u64(i * 3), i * 8);
      }
      map.updateBatchPacked(keys, values, count);
      expect(readU64(map.lookup(u32(299))!)).toBe(897);
      // A batch of 1 is smaller than a bucket holding two keys: the read grows the batch instead of failing.
      for (const batchSize of [1, 64, 4096]) {
        const read = map.lookupBatchPacked({ batchSize });
        expect(read.count).toBe(count);
        expect(read.keys).toHaveLength(4 * count);
        expect(read.values).toHaveLength(8 * count);
        const pairs = Array.from({ length: read.count }, (_, i) => [
          new DataView(read.keys.buffer, read.keys.byteOffset).getUint32(i * 4, true),
          readU64(read.values, i * 8),
        ]);
        expect(pairs.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual(
          Array.from({ length: count }, (_, i) => [i, i * 3]),
        );
      }
      // Reading into caller-owned buffers: views of them when everything fits, fresh buffers when not.
      const into = { keys: new Uint8Array(4 * 400), values: new Uint8Array(8 * 400) };
      const reused = map.lookupBatchPacked({ batchSize: 64, into });
      expect(reused.count).toBe(count);
      expect(reused.keys.buffer).toBe(into.keys.buffer);
      expect(reused.values.buffer).toBe(into.values.buffer);
      expect(reused.keys).toHaveLength(4 * count);
      const small = { keys: new Uint8Array(4 * 10), values: new Uint8Array(8 * 10) };
      const grown = map.lookupBatchPacked({ batchSize: 8, into: small });
      expect(grown.count).toBe(count);
      expect(grown.keys.buffer).not.toBe(small.keys.buffer);
      expect(
        Array.from({ length: count }, (_, i) => readU64(grown.values, i * 8)).sort((a, b) => a - b),
      ).toEqual(Array.from({ length: count }, (_, i) => i * 3));
      expectMapError(
        () =>
          map.lookupBatchPacked({ into: { keys: [] as unknown as Uint8Array, values: new Uint8Array(8) } }),
        InvalidArgumentError,
        22,
        s.name,
      );
      // Deleting the first 100 keys: a view into the same packed buffer.
      map.deleteBatchPacked(keys.subarray(0, 400), 100);
      expect(map.lookupBatchPacked().count).toBe(200);
      expect(map.lookup(u32(99))).toBeUndefined();
      expectMapError(() => map.deleteBatchPacked(keys.subarray(0, 4), 1), KeyNotFoundError, 2, s.name);
      // Buffers must hold exactly count elements: the kernel would read past a short one.
      expectMapError(() => map.updateBatchPacked(keys, values, count + 1), InvalidArgumentError, 22, s.name);
      expectMapError(
        () => map.updateBatchPacked(keys.subarray(4), values.subarray(8), count),
        InvalidArgumentError,
        22,
        s.name,
      );
      expectMapError(() => map.updateBatchPacked(keys, values, 1.5), InvalidArgumentError, 22, s.name);
      expectMapError(() => map.deleteBatchPacked(keys, -1), InvalidArgumentError, 22, s.name);
      expectMapError(() => map.lookupBatchPacked({ batchSize: 0 }), InvalidArgumentError, 22, s.name);
      map.updateBatchPacked(new Uint8Array(0), new Uint8Array(0), 0);
      expect(map.lookupBatchPacked().count).toBe(200);
      map.close();
      expectMapError(() => map.lookupBatchPacked(), MapError, 9, s.name);
    });

    it('packed batches: a full hash stops at the first entry that does not fit', () => {
      const s = spec(MapType.Hash, 4, 8, 4);
      const map = target.backend().open(s);
      const keys = new Uint8Array(4 * 6);
      for (let i = 0; i < 6; i++) keys.set(u32(i), i * 4);
      expectMapError(() => map.updateBatchPacked(keys, new Uint8Array(8 * 6), 6), MapFullError, 7, s.name);
      expect(map.lookupBatchPacked().count).toBe(4);
      map.close();
    });

    it('packed batches on per-CPU, LPM and array maps', () => {
      const backend = target.backend();
      const cpus = backend.possibleCpus;
      const perCpu = backend.open(spec(MapType.PerCpuHash, 4, 8, 16));
      const values = new Uint8Array(8 * cpus * 2);
      for (let cpu = 0; cpu < cpus; cpu++) {
        values.set(u64(10 + cpu), cpu * 8);
        values.set(u64(20 + cpu), (cpus + cpu) * 8);
      }
      const keys = new Uint8Array(8);
      keys.set(u32(1), 0);
      keys.set(u32(2), 4);
      perCpu.updateBatchPacked(keys, values, 2);
      const second = perCpu.lookup(u32(2))!;
      for (let cpu = 0; cpu < cpus; cpu++) expect(readU64(second, cpu * 8)).toBe(20 + cpu);
      const read = perCpu.lookupBatchPacked();
      expect(read.values).toHaveLength(8 * cpus * 2);
      perCpu.close();

      const trie = backend.open(spec(MapType.LpmTrie, 8, 8, 8, MapFlags.NoPrealloc));
      const prefixes = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24'];
      const lpmKeys = new Uint8Array(8 * prefixes.length);
      prefixes.forEach((p, i) => lpmKeys.set(lpm(p), i * 8));
      trie.updateBatchPacked(lpmKeys, new Uint8Array(8 * prefixes.length).fill(1), prefixes.length);
      const trieRead = trie.lookupBatchPacked();
      expect(trieRead.count).toBe(3);
      expect(hex(trieRead.keys).match(/.{16}/g)!.sort()).toEqual(prefixes.map((p) => hex(lpm(p))).sort());
      trie.close();

      const array = backend.open(spec(MapType.Array, 4, 8, 5));
      expect(array.lookupBatchPacked({ batchSize: 2 }).count).toBe(5);
      expectMapError(() => array.deleteBatchPacked(u32(1), 1), NotSupportedError, 524, array.name);
      array.close();
    });

    it('hash of maps: inner maps from the template, read back by id', () => {
      const backend = target.backend();
      const inner: MapSpec = { ...spec(MapType.Array, 4, 16, 1), name: 'ciliary_inner' };
      const outerSpec: MapSpec = { ...spec(MapType.HashOfMaps, 2, 4, 8), innerMap: inner };
      const outer = backend.open(outerSpec);
      const table = backend.open(inner);
      table.update(
        u32(0),
        Uint8Array.from({ length: 16 }, (_, i) => i),
      );
      outer.setInner(Uint8Array.of(0, 5), table);
      const reopened = outer.openInner(Uint8Array.of(0, 5))!;
      expect(reopened.id).toBe(table.id);
      expect(hex(reopened.lookup(u32(0))!)).toBe('000102030405060708090a0b0c0d0e0f');
      expect(outer.openInner(Uint8Array.of(0, 6))).toBeUndefined();
      const wrong = backend.open({ ...inner, valueSize: 8 });
      expectMapError(
        () => outer.setInner(Uint8Array.of(0, 6), wrong),
        InvalidArgumentError,
        22,
        outerSpec.name,
      );
      for (const m of [outer, table, reopened, wrong]) m.close();
    });

    it('pinned maps are reused when compatible and refused when not', () => {
      const backend = target.backend();
      const pinned: MapSpec = { ...spec(MapType.Hash, 4, 8, 16), pinning: 'byName' };
      const first = backend.open(pinned, { pinRoot: target.pinRoot() });
      expect(first.pinnedAt).toBe(`${target.pinRoot()}/${pinned.name}`);
      first.update(u32(1), u64(42));
      first.close();
      const again = backend.open(pinned, { pinRoot: target.pinRoot() });
      expect(readU64(again.lookup(u32(1))!)).toBe(42);
      expect(() => backend.open({ ...pinned, maxEntries: 32 }, { pinRoot: target.pinRoot() })).toThrow(
        /incompatible: max entries 16, want 32/,
      );
      const byPath = backend.openPinned(`${target.pinRoot()}/${pinned.name}`);
      expect(byPath.spec).toMatchObject({ type: MapType.Hash, keySize: 4, valueSize: 8, maxEntries: 16 });
      expect(byPath.id).toBe(again.id);
      backend.unpin(`${target.pinRoot()}/${pinned.name}`);
      expect(backend.isPinned(`${target.pinRoot()}/${pinned.name}`)).toBe(false);
      expectMapError(
        () => backend.openPinned(`${target.pinRoot()}/${pinned.name}`),
        KeyNotFoundError,
        2,
        pinned.name,
      );
      // The map outlives its pin while handles hold it.
      expect(readU64(byPath.lookup(u32(1))!)).toBe(42);
      again.close();
      byPath.close();
    });
  });
}
