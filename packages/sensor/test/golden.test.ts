import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { compileTracingPolicy } from '../src';
import { goldenFacts } from './golden/facts';

const root = path.join(__dirname, 'golden');
const cases = readdirSync(root).filter((name) => existsSync(path.join(root, name, 'policy.yaml')));

/** Plans as JSON: map keys (Buffers) as hex, bigints as strings. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer')
        return Buffer.from((v as { data: number[] }).data)
          .toString('hex')
          .replace(/(00)+$/, '');
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    }),
  );
}

// Manifests in, hook plans (the .rodata config and the string map keys) or issues out.
describe('TracingPolicy compilation (golden)', () => {
  test.each(cases)('%s', (name) => {
    const dir = path.join(root, name);
    const result = compileTracingPolicy(
      parse(readFileSync(path.join(dir, 'policy.yaml'), 'utf8')),
      goldenFacts,
      `${name}/policy.yaml`,
    );
    const actual = plain(result.ok ? { plan: result.value } : { issues: result.issues });
    const expectedPath = path.join(dir, 'expected.json');
    if (process.env['UPDATE_GOLDEN'] === '1')
      writeFileSync(expectedPath, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(expectedPath, 'utf8')));
  });
});
