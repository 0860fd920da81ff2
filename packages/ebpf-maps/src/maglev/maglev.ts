import { isIPv6 } from 'node:net';
import { ValidationError, type Issue } from '@ciliary/core';
import { murmur3x64128 } from './murmur3';

/** Table sizes Cilium accepts (primes; `--bpf-lb-maglev-table-size`). */
export const MAGLEV_TABLE_SIZES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;
export const DEFAULT_MAGLEV_TABLE_SIZE = 16381;
/** Cilium's default `--bpf-lb-maglev-hash-seed`: base64 of 12 bytes. */
export const DEFAULT_MAGLEV_SEED = 'JLfvgnHc2kaSUFaI';

/** How backend names are formed before hashing: Cilium 1.12's `IP:PORT`, or current Cilium's `[IP:PORT/PROTO,State:active]`. */
export type MaglevNaming = '1.12' | 'current';

export interface MaglevBackend {
  /** The backend ID written into the table. */
  readonly id: number;
  readonly address: string;
  readonly port: number;
  /** `TCP` unless given (only the `current` naming uses it). */
  readonly protocol?: string;
  /** Weight as Cilium 1.13 added it; 1 unless given, 0 takes the backend out (maintenance). */
  readonly weight?: number;
  /** Internal-scope backends get a `/i` suffix. */
  readonly internal?: boolean;
}

export interface MaglevSeeds {
  /** Bytes 0-3, big-endian: the murmur3 seed. */
  readonly murmur: number;
  /** Bytes 4-7: `HASH_INIT4_SEED` of the datapath's jhash. */
  readonly jhash0: number;
  /** Bytes 8-11: `HASH_INIT6_SEED`. */
  readonly jhash1: number;
}

export interface MaglevOptions {
  readonly tableSize?: number;
  readonly seed?: string;
  readonly naming?: MaglevNaming;
}

/** Decodes the base64 seed into its three 32-bit parts; undefined unless it is exactly 12 bytes. */
export function maglevSeeds(seed: string): MaglevSeeds | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(seed)) return undefined;
  const bytes = Buffer.from(seed, 'base64');
  if (bytes.length !== 12) return undefined;
  return { murmur: bytes.readUInt32BE(0), jhash0: bytes.readUInt32BE(4), jhash1: bytes.readUInt32BE(8) };
}

/** The string Cilium hashes for a backend. */
export function maglevBackendName(backend: MaglevBackend, naming: MaglevNaming): string {
  const host = isIPv6(backend.address) ? `[${backend.address}]` : backend.address;
  const scope = backend.internal ? '/i' : '';
  if (naming === '1.12') return `${host}:${backend.port}${scope}`;
  return `[${host}:${backend.port}/${backend.protocol ?? 'TCP'}${scope},State:active]`;
}

function validate(backends: readonly MaglevBackend[], tableSize: number, seed: string): Issue[] {
  const issues: Issue[] = [];
  if (!(MAGLEV_TABLE_SIZES as readonly number[]).includes(tableSize))
    issues.push({
      path: '/tableSize',
      message: `${tableSize} is not one of ${MAGLEV_TABLE_SIZES.join(', ')}`,
    });
  if (maglevSeeds(seed) === undefined)
    issues.push({ path: '/seed', message: 'must be base64 of exactly 12 bytes' });
  backends.forEach((b, i) => {
    const weight = b.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 0 || weight > 0xffff)
      issues.push({ path: `/backends/${i}/weight`, message: `${weight} is not an integer in 0..65535` });
    if (!Number.isInteger(b.port) || b.port < 0 || b.port > 0xffff)
      issues.push({ path: `/backends/${i}/port`, message: `${b.port} is not a port` });
  });
  return issues;
}

/**
 * Computes a service's Maglev lookup table the way Cilium does: backends
 * sorted by the names they hash to, offset = h1 % M and skip = h2 % (M-1) + 1
 * from murmur3 (x64_128), each backend taking its next free permutation slot
 * in turn, turns skipped by weight as Cilium 1.13 added it. Returns the backend
 * ID per slot; an empty table when no backend has weight.
 */
export function maglevTable(backends: readonly MaglevBackend[], options: MaglevOptions = {}): Uint32Array {
  const m = options.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
  const seed = options.seed ?? DEFAULT_MAGLEV_SEED;
  const naming = options.naming ?? '1.12';
  const issues = validate(backends, m, seed);
  if (issues.length > 0) throw new ValidationError(issues);
  const murmurSeed = (maglevSeeds(seed) as MaglevSeeds).murmur;

  const named = backends
    .filter((b) => (b.weight ?? 1) > 0)
    .map((b) => ({ backend: b, name: maglevBackendName(b, naming) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const count = named.length;
  if (count === 0) return new Uint32Array(0);

  // Each backend walks its permutation (offset + j*skip) % M; `position` is its next candidate.
  const position = new Float64Array(count);
  const skip = new Float64Array(count);
  const bigM = BigInt(m);
  named.forEach(({ name }, i) => {
    const [h1, h2] = murmur3x64128(new TextEncoder().encode(name), murmurSeed);
    position[i] = Number(h1 % bigM);
    skip[i] = Number((h2 % (bigM - 1n)) + 1n);
  });

  const weights = named.map(({ backend }) => backend.weight ?? 1);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const counters = Float64Array.from(weights, (w) => w / count);
  // Weights only change turns when they average above 1 (integer division, as in Go).
  const weighted = Math.floor(weightSum / count) > 1;

  const ids = Uint32Array.from(named, ({ backend }) => backend.id);
  const taken = new Uint8Array(m);
  const table = new Uint32Array(m);
  for (let n = 0; n < m; n++) {
    let i = n % count;
    if (weighted) {
      while ((n + 1) * (weights[i] ?? 0) < Math.trunc(counters[i] ?? 0)) i = (i + 1) % count;
      counters[i] = (counters[i] ?? 0) + weightSum;
    }
    let c = position[i] ?? 0;
    while (taken[c] === 1) c = (c + (skip[i] ?? 1)) % m;
    taken[c] = 1;
    table[c] = ids[i] ?? 0;
    position[i] = (c + (skip[i] ?? 1)) % m;
  }
  return table;
}

/** Run-length text of a table, `<id>(<count>),...`, the form Cilium's reproducibility test compares. */
export function runLengthEncode(table: ArrayLike<number>): string {
  const runs: string[] = [];
  for (let i = 0; i < table.length;) {
    let j = i;
    while (j < table.length && table[j] === table[i]) j++;
    runs.push(`${table[i]}(${j - i})`);
    i = j;
  }
  return runs.join(',');
}
