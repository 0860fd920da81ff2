import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, unlink, mkdir, rename, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger, systemClock, type Logger, type ResourceEvent } from '@ciliary/core';
import { FakeClock, waitFor } from '@ciliary/testing';
import { LocalManifestSource, type LocalSourceOptions } from '../src';

const kinds = [Kinds.Namespace, Kinds.Pod, Kinds.CiliumNetworkPolicy];
const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\n`;
// Named pipes exist on POSIX systems only.

/** A logger that keeps its error messages, for tests that check what was logged. */
function recordingLogger(): Logger & { errors: string[] } {
  const logger = { ...silentLogger(), errors: [] as string[] };
  logger.error = (_obj: object, msg?: string) => void logger.errors.push(msg ?? '');
  logger.child = () => logger;
  return logger;
}

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
    await rm(`${dir}.old`, { recursive: true, force: true });
  });

  function start(watch = false, options: Partial<LocalSourceOptions> = {}): Promise<void> {
    source = new LocalManifestSource({
      dir,
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
      watch,
      debounceMs: 20,
      ...options,
    });
    return source.start();
  }

  const podNames = () =>
    source!
      .list(Kinds.Pod)
      .map((p) => p.metadata.name)
      .sort();

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

  describe('bad input never costs good state', () => {
    test('a document yaml cannot convert keeps the last good objects of its file, at start-up and after', async () => {
      await writeFile(
        path.join(dir, 'typo.yaml'),
        'apiVersion: v1\nkind: Pod\nmetadata: {name: t, labels: *typo}\n',
      );
      await writeFile(path.join(dir, 'a.yaml'), pod('a'));
      await start();
      expect(podNames()).toEqual(['a']);
      expect(source!.status().problems).toEqual([
        expect.stringMatching(/typo\.yaml:1: invalid YAML: Unresolved alias.*typo$/),
      ]);

      const aliases = Array<string>(150).fill('*x').join(', ');
      await writeFile(path.join(dir, 'a.yaml'), `${pod('a2')}spec: {x: &x [1], y: [${aliases}]}\n`);
      await source!.reload();
      expect(podNames()).toEqual(['a']);
      expect(source!.status().problems).toContainEqual(
        expect.stringMatching(/a\.yaml:1: invalid YAML: Excessive alias count/),
      );
    });

    test('a subscriber that throws is logged, and the reload completes for everyone else', async () => {
      const logger = recordingLogger();
      await writeFile(path.join(dir, 'a.yaml'), pod('a'));
      await start(false, { logger });
      source!.subscribe(Kinds.Pod, (e) => {
        if (e.type === 'delete') throw new Error('subscriber bug');
      });
      const deleted: string[] = [];
      source!.subscribe(Kinds.Pod, (e) => e.type === 'delete' && deleted.push(e.key));
      await unlink(path.join(dir, 'a.yaml'));
      await expect(source!.reload()).resolves.toBeUndefined();
      expect(deleted).toEqual(['default/a']);
      expect(logger.errors).toEqual(['a subscriber failed on an object; the others were told']);
    });

    test('a file that cannot be read keeps its last good objects and is reported with the error code', async () => {
      const file = path.join(dir, 'a.yaml');
      await writeFile(file, pod('a'));
      await start();
      await unlink(file);
      await symlink('a.yaml', file); // a link to itself: ELOOP
      await source!.reload();
      expect(podNames()).toEqual(['a']);
      expect(source!.status().problems).toEqual([
        expect.stringMatching(/a\.yaml: cannot read the file \(ELOOP\)/),
      ]);

      await unlink(file); // now truly gone
      await source!.reload();
      expect(podNames()).toEqual([]);
      expect(source!.status().problems).toEqual([]);
    });

    test('a named pipe among the manifests is skipped, never waited on', async () => {
      await writeFile(path.join(dir, 'a.yaml'), pod('a'));
      execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
      await start(true);
      expect(podNames()).toEqual(['a']);
      await source!.reload();
      await source!.stop();
      expect(source!.status().problems).toEqual([]);
    });
  });

  describe('periodic resync', () => {
    const resyncMs = 60_000;
    let clock: FakeClock;
    beforeEach(() => {
      clock = new FakeClock();
    });

    test('a manifest replaced by a folder of the same name is dropped at the next resync', async () => {
      await writeFile(path.join(dir, 'a.yaml'), pod('a'));
      await start(true, { clock, resyncMs });
      await unlink(path.join(dir, 'a.yaml'));
      await mkdir(path.join(dir, 'a.yaml'));
      await clock.advance(resyncMs);
      await waitFor(() => podNames().length === 0, { description: 'the Pod gone' });
    });

    test.each([
      ['deleted and made again', () => rm(dir, { recursive: true })],
      ['renamed away and made again', () => rename(dir, `${dir}.old`)],
    ])('a directory %s is read at the next resync and watched anew', async (_how, remove) => {
      await writeFile(path.join(dir, 'a.yaml'), pod('a'));
      await start(true, { clock, resyncMs });
      await remove();
      await mkdir(dir);
      await writeFile(path.join(dir, 'b.yaml'), pod('b'));
      await clock.advance(resyncMs);
      await waitFor(() => podNames().join() === 'b', { description: 'the new directory read' });

      // Only the new watcher can apply this in time: advancing by debounce steps never reaches the next resync.
      await writeFile(path.join(dir, 'c.yaml'), pod('c'));
      await waitFor(
        async () => {
          await clock.advance(20);
          return podNames().join() === 'b,c';
        },
        { description: 'c.yaml applied through the watcher' },
      );
    });

    test('resyncs only while watching, and stop cancels it', async () => {
      await start(false, { clock, resyncMs });
      expect(clock.pendingTimers()).toBe(0);
      await source!.stop();
      await start(true, { clock, resyncMs });
      expect(clock.pendingTimers()).toBe(1);
      await source!.stop();
      expect(clock.pendingTimers()).toBe(0);
    });
  });
});
