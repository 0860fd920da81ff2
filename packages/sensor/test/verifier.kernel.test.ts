import { describe, expect } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadBpfObject } from '@ciliary/datapath';
import { kernelTest } from '@ciliary/testing';
import { compileTracingPolicy, defaultObjectDir, encodeHookConfig } from '../src';
import { goldenFacts } from './golden/facts';
import { sensorFeature, uniquePinDir } from './kernel';

const root = path.join(__dirname, 'golden');
const plans = readdirSync(root)
  .filter((name) => existsSync(path.join(root, name, 'policy.yaml')))
  .flatMap((name) => {
    const result = compileTracingPolicy(
      parse(readFileSync(path.join(root, name, 'policy.yaml'), 'utf8')),
      goldenFacts,
    );
    return result.ok ? result.value.hooks.map((hook, i) => [`${name} hook ${i}`, hook] as const) : [];
  });

// Every selector, argument and action combination of the golden cases passes the verifier.
describe('the kernel accepts every golden hook', () => {
  for (const [name, hook] of plans) {
    kernelTest(name, sensorFeature, () => {
      const pinDir = uniquePinDir('verifier');
      mkdirSync(pinDir, { recursive: true });
      try {
        const object = loadBpfObject(path.join(defaultObjectDir(), 'generic.o'), (config) => {
          for (const map of config.mapNames()) config.pinMap(map, path.join(pinDir, map));
          config.setReadOnlyData(encodeHookConfig({ ...hook.config, hookId: 1 }));
        });
        object.close();
      } finally {
        rmSync(pinDir, { recursive: true, force: true });
      }
      expect(hook.attach.length).toBeGreaterThan(0);
    });
  }
});
