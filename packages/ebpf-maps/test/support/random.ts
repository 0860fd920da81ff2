import { formatIPv6, type Field, type ScalarType, type StructLayout } from '../../src';

/** A small seeded generator (mulberry32), so property tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function randomScalar(type: ScalarType, random: () => number): unknown {
  switch (type.kind) {
    case 'uint': {
      const bits = type.size * 8;
      return type.signed
        ? randomInt(random, -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        : randomInt(random, 0, 2 ** bits - 1);
    }
    case 'u64':
      return (BigInt(randomInt(random, 0, 0xffffffff)) << 32n) | BigInt(randomInt(random, 0, 0xffffffff));
    case 'ipv4':
      return Array.from({ length: 4 }, () => randomInt(random, 0, 255)).join('.');
    case 'ipv6':
      return formatIPv6(
        Uint8Array.from({ length: 16 }, () => (random() < 0.3 ? 0 : randomInt(random, 0, 255))),
      );
    case 'mac':
      return Array.from({ length: 6 }, () => randomInt(random, 0, 255).toString(16).padStart(2, '0')).join(
        ':',
      );
  }
}

/** A random value for every decoded field of a layout, with union tags set to a valid case. */
export function randomValue(layout: StructLayout, random: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields: Field[] = [...layout.fields];
  for (const field of fields) {
    const type = field.type;
    if (type.kind === 'pad' || type.kind === 'union' || (type.kind === 'bits' && type.padding)) continue;
    out[field.name] =
      type.kind === 'bits' ? randomInt(random, 0, 2 ** type.width - 1) : randomScalar(type, random);
  }
  for (const field of fields) {
    const type = field.type;
    if (type.kind !== 'union') continue;
    const chosen = type.cases[randomInt(random, 0, type.cases.length - 1)];
    if (!chosen) continue;
    out[type.tag] = chosen.when;
    out[chosen.name] = randomScalar(chosen.type, random);
  }
  return out;
}
