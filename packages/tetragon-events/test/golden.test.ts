import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatIssue } from '@ciliary/core';
import {
  EventLineDecoder,
  EventPrinter,
  FieldFilters,
  TetragonCodec,
  compileEventFilter,
  getEventsRequestFromFlags,
  type GetEventsFlags,
  type OutputFormat,
} from '../src';

// One folder per case: input.jsonl (an export file), optional options.json (the `ciliary events`
// flags), and the expected outputs: expected.jsonl (-o json), expected.compact (-o compact
// --color never) and expected.problems (the skipped lines). UPDATE_GOLDEN=1 rewrites them.
const GOLDEN = path.join(__dirname, 'golden');
const codec = new TetragonCodec();

interface CaseOptions extends GetEventsFlags {
  readonly timestamps?: boolean;
}

function run(dir: string, format: OutputFormat): { out: string; problems: string } {
  const optionsFile = path.join(dir, 'options.json');
  const options = fs.existsSync(optionsFile)
    ? (JSON.parse(fs.readFileSync(optionsFile, 'utf8')) as CaseOptions)
    : {};
  const request = getEventsRequestFromFlags(codec, options);
  if (!request.ok) throw new Error(request.issues.map(formatIssue).join('\n'));
  const filter = compileEventFilter(request.value);
  const fields = FieldFilters.compile(codec, request.value.field_filters ?? []);
  if (!filter.ok || !fields.ok) throw new Error('bad golden filters');
  const printer = new EventPrinter({
    codec,
    format,
    compact: { color: false, timestamps: options.timestamps ?? false },
    filter: filter.value,
    fieldFilters: fields.value,
  });
  let out = '';
  let problems = '';
  const decoder = new EventLineDecoder(codec, {
    document: 'input.jsonl',
    onEvent: (e) => (out += printer.print(e)),
    onProblem: (p) => (problems += `${p.issues.map(formatIssue).join('; ')}\n`),
  });
  decoder.push(fs.readFileSync(path.join(dir, 'input.jsonl')));
  decoder.end();
  return { out, problems };
}

function check(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  expect(actual).toBe(
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `(missing ${path.basename(file)})`,
  );
}

describe('golden cases', () => {
  const cases = fs.readdirSync(GOLDEN).filter((d) => fs.statSync(path.join(GOLDEN, d)).isDirectory());

  test('there are golden cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(6);
  });

  test.each(cases)('%s', (name) => {
    const dir = path.join(GOLDEN, name);
    const json = run(dir, 'json');
    const compact = run(dir, 'compact');
    check(path.join(dir, 'expected.jsonl'), json.out);
    check(path.join(dir, 'expected.compact'), compact.out);
    check(path.join(dir, 'expected.problems'), json.problems);
  });
});
