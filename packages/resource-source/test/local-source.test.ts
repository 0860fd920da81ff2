import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile, unlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger, systemClock, type ResourceEvent } from '@ciliary/core';
import { waitFor } from '@ciliary/testing';
import { LocalManifestSource } from '../src';

const kinds = [Kinds.Namespace, Kinds.Pod, Kinds.CiliumNetworkPolicy];

describe('LocalManifestSource', () => {
  let dir: string;
  let source: LocalManifestSource | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-manifests-'));
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function start(watch = false): Promise<void> {
    source = new LocalManifestSource({
      dir,
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
      watch,
      debounceMs: 20,
    });
    return source.start();
  }

  test('reads multi-document YAML, JSON and List documents from nested folders', async () => {
    await writeFile(
      path.join(dir, 'app.yaml'),
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {env: prod}',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: prod',
        '',
      ].join('\n---\n'),
    );
    await mkdir(path.join(dir, 'nested'));
    await writeFile(
      path.join(dir, 'nested', 'list.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db' } }],
      }),
    );
    await writeFile(
      path.join(dir, 'other.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n',
    );
    await start();
    expect(source!.list(Kinds.Namespace).map((o) => o.metadata.name)).toEqual(['prod']);
    expect(
      source!
        .list(Kinds.Pod)
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['default/db', 'prod/web']);
    expect(source!.status()).toMatchObject({ type: 'local', synced: true, problems: [] });
  });

  test('replays known objects, then synced, to a late subscriber', async () => {
    await writeFile(path.join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
    await start();
    const events: ResourceEvent[] = [];
    source!.subscribe(Kinds.Namespace, (e) => events.push(e));
    expect(events.map((e) => e.type)).toEqual(['upsert', 'synced']);
  });

  test('reports problems by file and document and keeps the valid documents', async () => {
    await writeFile(
      path.join(dir, 'bad.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {}\n---\nkind: Pod\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n',
    );
    await start();
    const problems = source!.status().problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/bad\.yaml:1: Pod: \/metadata\/name: required string is missing$/);
    expect(problems[1]).toMatch(/bad\.yaml:2: \/apiVersion: required string is missing$/);
    expect(source!.list(Kinds.Namespace)).toHaveLength(1);
  });

  test('watches the directory: changes become upserts and deletes; broken YAML keeps the last good state', async () => {
    const file = path.join(dir, 'pods.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {v: "1"}}\n');
    await start(true);
    const events: string[] = [];
    source!.subscribe(Kinds.Pod, (e) => events.push(e.type === 'synced' ? 'synced' : `${e.type} ${e.key}`));
    expect(events).toEqual(['upsert default/a', 'synced']);

    await writeFile(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {v: "2"}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n',
    );
    await waitFor(() => events.length === 4, { description: 'two upserts' });
    expect(events.slice(2)).toEqual(['upsert default/a', 'upsert default/b']);

    const loads = source!.loadCount;
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: a\n  - broken: [');
    await waitFor(() => source!.loadCount > loads, { description: 'reload after a broken edit' });
    expect(source!.list(Kinds.Pod)).toHaveLength(2);
    expect(source!.status().problems[0]).toMatch(/pods\.yaml:1: invalid YAML/);

    await unlink(file);
    await waitFor(() => events.length === 6, { description: 'two deletes' });
    expect(events.slice(4).sort()).toEqual(['delete default/a', 'delete default/b']);
  });

  test('a file written without pause beside the manifests neither holds off nor triggers reads', async () => {
    await start(true);
    const events: string[] = [];
    source!.subscribe(Kinds.Pod, (e) => events.push(e.type === 'synced' ? 'synced' : `${e.type} ${e.key}`));
    const log = path.join(dir, 'export.log');
    let writing = true;
    let writes = 0;
    // An export log in the same folder, appended every few milliseconds, as a busy sensor does.
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await writeFile(log, `line ${i}\n`, { flag: 'a' });
        writes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      const loads = source!.loadCount;
      await writeFile(path.join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n');
      await waitFor(() => events.includes('upsert default/p'), { description: 'the new Pod' });
      await waitFor(() => writes > 100, { description: 'the log written many times' });
      // Reads for the manifest's create and change events at most; the log's writes cause none.
      expect(source!.loadCount - loads).toBeLessThanOrEqual(2);
    } finally {
      writing = false;
      await writer;
    }
  });

  test('a missing directory is a clear error', async () => {
    source = new LocalManifestSource({
      dir: path.join(dir, 'nope'),
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
    });
    await expect(source.start()).rejects.toThrow(/manifests directory .*nope does not exist/);
  });
});
