import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { loadTetragonRoot } from '../src';
import { GENERATED_TYPES_PATH, formattedModelTypes } from '../tools/gen-types';

test('the model types are generated from the shipped .proto files (run tools/gen-types.ts after editing them)', () => {
  expect(readFileSync(GENERATED_TYPES_PATH, 'utf8')).toBe(formattedModelTypes(loadTetragonRoot()));
});
