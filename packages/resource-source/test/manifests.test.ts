import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds } from '@ciliary/core';
import { listManifestFiles, parseManifestText, readManifestFile } from '../src/manifests';

const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\n`;
// Named pipes exist on POSIX systems only.

describe('parseManifestText', () => {
  test('an alias without an anchor is a problem of its document, not an exception', () => {
    const text = `${pod('a')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, labels: *typo}\n`;
    const parsed = parseManifestText('pods.yaml', text, [Kinds.Pod]);
    expect(parsed.problems).toEqual([
      { origin: 'pods.yaml:2', message: expect.stringMatching(/^invalid YAML: Unresolved alias.*typo$/) },
    ]);
    expect(parsed.broken).toBe(true);
  });

  test('more aliases than yaml allows is a problem of its document, not an exception', () => {
    const aliases = Array<string>(150).fill('*a').join(', ');
    const text = `${pod('a')}spec: {a: &a [x], b: [${aliases}]}\n`;
    const parsed = parseManifestText('bomb.yaml', text, [Kinds.Pod]);
    expect(parsed.problems).toEqual([
      { origin: 'bomb.yaml:1', message: expect.stringMatching(/^invalid YAML: Excessive alias count/) },
    ]);
    expect(parsed.broken).toBe(true);
  });

  test('flow sequences nested thousands deep are a problem, read before the parser could exhaust memory', () => {
    const text = `${pod('a')}spec: {x: ${'['.repeat(6000)}${']'.repeat(6000)}}\n`;
    const parsed = parseManifestText('deep.yaml', text, [Kinds.Pod]);
    expect(parsed.problems).toEqual([
      {
        origin: 'deep.yaml:1',
        message: 'invalid YAML: flow collections nested 6001 deep (at most 1000 are read)',
      },
    ]);
    expect(parsed.broken).toBe(true);
  });

  test('a file whose documents all read is not broken, whatever their other problems', () => {
    const parsed = parseManifestText('p.yaml', `${pod('a')}---\nkind: Pod\n`, [Kinds.Pod]);
    expect(parsed).toMatchObject({ broken: false, problems: [{ origin: 'p.yaml:2' }] });
  });
});

describe('listing and reading manifest files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-manifest-files-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('lists regular files and symlinks to them, never pipes or links to nothing', async () => {
    await writeFile(path.join(dir, 'a.yaml'), pod('a'));
    await symlink('a.yaml', path.join(dir, 'b.yaml'));
    await symlink('missing.yaml', path.join(dir, 'dangling.yaml'));
    await mkdir(path.join(dir, 'folder.yaml'));
    await symlink('folder.yaml', path.join(dir, 'to-folder.yaml'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    const files = await listManifestFiles(dir);
    expect(files.map((f) => path.basename(f))).toEqual(['a.yaml', 'b.yaml']);
  });

  test('lists a symlink that cannot be followed, so that reading it reports why', async () => {
    await symlink('loop.yaml', path.join(dir, 'loop.yaml'));
    const [file] = await listManifestFiles(dir);
    expect(file).toBe(path.join(dir, 'loop.yaml'));
    expect(await readManifestFile(file!)).toEqual({ kind: 'error', reason: 'ELOOP' });
  });

  test('reading a pipe neither blocks nor succeeds', async () => {
    const fifo = path.join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(await readManifestFile(fifo)).toEqual({ kind: 'error', reason: 'not a regular file' });
  });

  test('only a missing file is gone', async () => {
    expect(await readManifestFile(path.join(dir, 'missing.yaml'))).toEqual({ kind: 'gone' });
    expect(await readManifestFile(dir)).toEqual({ kind: 'error', reason: 'not a regular file' });
    await writeFile(path.join(dir, 'a.yaml'), pod('a'));
    expect(await readManifestFile(path.join(dir, 'a.yaml'))).toEqual({ kind: 'text', text: pod('a') });
  });
});
