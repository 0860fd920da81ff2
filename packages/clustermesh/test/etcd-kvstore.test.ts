import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { FakeClock, waitFor } from '@ciliary/core/testing';
import { silentLogger, systemClock } from '@ciliary/core';
import { EtcdKvStore } from '../src/etcd';
import { KvSync, type DesiredValue } from '../src/kv-sync';
import type { KvStore, KvWatchEvent } from '../src/kvstore';
import { PrefixMirror } from '../src/mirror';
import { EtcdServer } from './etcd-server';

const logger = silentLogger();
const retry = { initialMs: 50, maxMs: 500 };
let etcd: EtcdServer;
const stores: KvStore[] = [];

function open(options: Partial<ConstructorParameters<typeof EtcdKvStore>[0]> = {}): EtcdKvStore {
  const store = new EtcdKvStore({
    endpoints: [etcd.url],
    leaseTtlSeconds: 5,
    requestTimeoutMs: 2_000,
    grpcKeepaliveMs: 1_000,
    retry,
    logger,
    ...options,
  });
  stores.push(store);
  return store;
}

let prefixCounter = 0;
function freshPrefix(): string {
  return `test/${++prefixCounter}/`;
}

beforeAll(async () => {
  etcd = await EtcdServer.start();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  if (!etcd.running) await etcd.resume();
});

afterAll(async () => {
  await etcd.destroy();
});

describe('the etcd kvstore', () => {
  test('writes in one transaction, lists with the revision, binds leased keys to its session', async () => {
    const store = open();
    const prefix = freshPrefix();
    await store.write([
      { key: `${prefix}a`, value: '1' },
      { key: `${prefix}b`, value: '2', leased: true },
    ]);
    const listing = await store.list(prefix);
    expect(listing.pairs.map((p) => [p.key, p.value])).toEqual([
      [`${prefix}a`, '1'],
      [`${prefix}b`, '2'],
    ]);
    expect(listing.pairs[0]?.lease).toBe('0');
    expect(listing.pairs[1]?.lease).toBe(store.sessionLease());
    expect(listing.revision).toBeGreaterThanOrEqual(listing.pairs[1]!.modRevision);
    await store.write([{ key: `${prefix}a` }]);
    expect(await store.get(`${prefix}a`)).toBeUndefined();
    expect(store.status()).toMatchObject({ connected: true, endpoints: [etcd.url] });
  });

  test('watches deliver puts and deletes from a revision, replaying older ones', async () => {
    const store = open();
    const prefix = freshPrefix();
    await store.write([{ key: `${prefix}x`, value: 'old' }]);
    const { revision } = await store.list(prefix);
    await store.write([{ key: `${prefix}x`, value: 'new' }]);
    await store.write([{ key: `${prefix}x` }]);
    const events: KvWatchEvent[] = [];
    store.watch(prefix, revision + 1, { event: (e) => events.push(e), lost: () => undefined });
    await waitFor(() => events.length === 2, { description: 'two events' });
    expect(events.map((e) => [e.type, e.key, e.type === 'put' ? e.value : ''])).toEqual([
      ['put', `${prefix}x`, 'new'],
      ['delete', `${prefix}x`, ''],
    ]);
  });

  test('a watch resumes after an etcd restart from the last revision, missing and repeating nothing', async () => {
    const clock = new FakeClock(Date.now());
    const watching = open({ clock });
    const writer = open();
    const prefix = freshPrefix();
    const events: KvWatchEvent[] = [];
    const { revision } = await watching.list(prefix);
    watching.watch(prefix, revision + 1, { event: (e) => events.push(e), lost: () => undefined });
    await writer.write([{ key: `${prefix}1`, value: 'before' }]);
    await waitFor(() => events.length === 1, { description: 'the first event' });

    await etcd.stop();
    await waitFor(() => !watching.status().connected, { description: 'the watch to notice' });
    await etcd.resume();
    // Written while the watcher waits out its back-off on the fake clock.
    await waitFor(async () => {
      await writer.write([{ key: `${prefix}2`, value: 'during' }]);
      return true;
    });
    await writer.write([{ key: `${prefix}1` }]);
    expect(events).toHaveLength(1);
    await clock.advance(retry.maxMs);
    await waitFor(() => events.length >= 3, { description: 'the missed events' });
    await writer.write([{ key: `${prefix}3`, value: 'after' }]);
    await waitFor(() => events.length >= 4, { description: 'a live event' });
    expect(events.map((e) => `${e.type} ${e.key.slice(prefix.length)}`)).toEqual([
      'put 1',
      'put 2',
      'delete 1',
      'put 3',
    ]);
    expect(watching.status().connected).toBe(true);
  }, 30_000);

  test('keys of a client that dies without cleanup expire with its lease', async () => {
    const dying = open({ leaseTtlSeconds: 2 });
    const observer = open();
    const prefix = freshPrefix();
    await dying.write([
      { key: `${prefix}leased`, value: 'v', leased: true },
      { key: `${prefix}plain`, value: 'v' },
    ]);
    await dying.close(); // no revoke: as if the process were killed
    await waitFor(async () => (await observer.list(prefix)).pairs.length === 1, {
      timeoutMs: 10_000,
      description: 'the leased key to expire',
    });
    expect((await observer.list(prefix)).pairs.map((p) => p.key)).toEqual([`${prefix}plain`]);
  }, 20_000);

  test('closing with revokeSession removes leased keys at once', async () => {
    const store = open();
    const observer = open();
    const prefix = freshPrefix();
    await store.write([{ key: `${prefix}k`, value: 'v', leased: true }]);
    await store.close({ revokeSession: true });
    expect((await observer.list(prefix)).pairs).toEqual([]);
  });

  test('the keep-alive runs on the injected clock and keeps keys past their TTL', async () => {
    const clock = new FakeClock(Date.now());
    const store = open({ clock, leaseTtlSeconds: 2 });
    const prefix = freshPrefix();
    await store.write([{ key: `${prefix}k`, value: 'v', leased: true }]);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 700)); // real time passes on etcd's side
      await clock.advance(700);
    }
    expect((await store.list(prefix)).pairs).toHaveLength(1);
  }, 15_000);

  test('an unreachable endpoint fails with an error naming it', async () => {
    const store = new EtcdKvStore({ endpoints: ['http://127.0.0.1:1'], requestTimeoutMs: 500, logger });
    stores.push(store);
    await expect(store.list('x')).rejects.toThrow(/kvstore list on http:\/\/127\.0\.0\.1:1: /);
    expect(store.status().connected).toBe(false);
  });
});

describe('mirroring a prefix', () => {
  test('lists, then follows, and lists again when the watch revision was compacted', async () => {
    const store = open();
    const writer = open();
    const prefix = freshPrefix();
    await writer.write([{ key: `${prefix}a`, value: '1' }]);
    const seen: string[] = [];
    const mirror = new PrefixMirror({
      store,
      prefix,
      clock: systemClock(),
      logger,
      retry,
      handlers: {
        upsert: (k, v) => seen.push(`upsert ${k.slice(prefix.length)}=${v}`),
        delete: (k) => seen.push(`delete ${k.slice(prefix.length)}`),
        listed: () => seen.push('listed'),
      },
    });
    mirror.start();
    await waitFor(() => seen.includes('listed'));
    await writer.write([{ key: `${prefix}b`, value: '2' }]);
    await waitFor(() => mirror.entries.size === 2);
    mirror.stop();
    expect(seen).toEqual(['upsert a=1', 'listed', 'upsert b=2']);

    // A watch that starts from a compacted revision cannot resume: the mirror must list again.
    const { revision } = await writer.list(prefix);
    await writer.write([{ key: `${prefix}a` }, { key: `${prefix}c`, value: '3' }]);
    const latest = (await writer.list(prefix)).revision;
    await etcd.compact(latest);
    const lost: string[] = [];
    store.watch(prefix, revision, { event: () => undefined, lost: (reason) => lost.push(reason) });
    await waitFor(() => lost.length === 1, { description: 'the watch to be cancelled' });
    expect(lost[0]).toMatch(/cancel/);

    seen.length = 0;
    mirror.start();
    await waitFor(() => seen.includes('listed'));
    expect(seen).toEqual(['upsert c=3', 'delete a', 'listed']);
    mirror.stop();
  });

  test('a listing that fails is retried with back-off until etcd is back', async () => {
    const clock = new FakeClock(Date.now());
    const store = open({ clock, requestTimeoutMs: 500 });
    const prefix = freshPrefix();
    await etcd.stop();
    let listed = 0;
    const mirror = new PrefixMirror({
      store,
      prefix,
      clock,
      logger,
      retry,
      handlers: { upsert: () => undefined, delete: () => undefined, listed: () => listed++ },
    });
    mirror.start();
    await waitFor(() => mirror.lastError !== undefined, { description: 'the first failure' });
    await etcd.resume();
    await waitFor(
      async () => {
        await clock.advance(retry.maxMs);
        return listed === 1;
      },
      { timeoutMs: 15_000, description: 'the retry to list' },
    );
    mirror.stop();
  }, 30_000);
});

describe('the batched writer', () => {
  function desired(entries: Record<string, string>, leased = true): Map<string, DesiredValue> {
    return new Map(Object.entries(entries).map(([k, v]) => [k, { value: v, leased }]));
  }

  test('writes only the difference, prunes unknown keys in its prefixes and repairs drift', async () => {
    const store = open();
    const other = open();
    const prefix = freshPrefix();
    await other.write([
      { key: `${prefix}stale`, value: 'from a previous run' },
      { key: `${prefix}keep`, value: 'x' },
    ]);
    const sync = new KvSync({
      name: 't',
      store,
      ownedPrefixes: [prefix],
      clock: systemClock(),
      logger,
      retry,
      resyncIntervalMs: 0,
    });
    sync.start();
    sync.setDesired(desired({ [`${prefix}keep`]: 'x', [`${prefix}new`]: 'y' }, false));
    await sync.whenIdle();
    expect((await other.list(prefix)).pairs.map((p) => `${p.key.slice(prefix.length)}=${p.value}`)).toEqual([
      'keep=x',
      'new=y',
    ]);
    // `keep` already had the right value: one put (new) and one delete (stale).
    expect(sync.status()).toMatchObject({ writes: 1, deletes: 1, pending: 0 });

    await other.write([{ key: `${prefix}new` }]);
    sync.requestResync();
    await sync.whenIdle();
    expect((await other.get(`${prefix}new`))?.value).toBe('y');
    sync.stop();
  });

  test('rewrites every leased key after the session lease is lost', async () => {
    const store = open();
    const observer = open();
    const prefix = freshPrefix();
    const sync = new KvSync({
      name: 't',
      store,
      ownedPrefixes: [prefix],
      clock: systemClock(),
      logger,
      retry,
      resyncIntervalMs: 0,
    });
    sync.start();
    sync.setDesired(desired({ [`${prefix}a`]: '1', [`${prefix}b`]: '2' }));
    await sync.whenIdle();
    const firstLease = store.sessionLease()!;
    await etcd.revokeLease(firstLease);
    await waitFor(
      async () => {
        const pairs = (await observer.list(prefix)).pairs;
        return (
          pairs.length === 2 && pairs.every((p) => p.lease !== firstLease && p.lease === store.sessionLease())
        );
      },
      { timeoutMs: 10_000, description: 'keys rewritten under a new lease' },
    );
    sync.stop();
  }, 20_000);

  test('groups thousands of keys into transactions', async () => {
    const store = open();
    const prefix = freshPrefix();
    const sync = new KvSync({
      name: 't',
      store,
      ownedPrefixes: [prefix],
      clock: systemClock(),
      logger,
      retry,
      resyncIntervalMs: 0,
    });
    sync.start();
    const many: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) many[`${prefix}${i}`] = `v${i}`;
    sync.setDesired(desired(many));
    await sync.whenIdle();
    expect((await store.list(prefix)).pairs).toHaveLength(3000);
    sync.stop();
  });
});

describe('TLS', () => {
  test('connects with client certificates to an etcd that requires them', async () => {
    const secure = await EtcdServer.start({ tls: true });
    try {
      const ca = await readFile(secure.tls!.ca);
      const cert = await readFile(secure.tls!.clientCert);
      const key = await readFile(secure.tls!.clientKey);
      const store = new EtcdKvStore({
        endpoints: [secure.url],
        tls: { ca, cert, key },
        logger,
        requestTimeoutMs: 5_000,
      });
      stores.push(store);
      await store.write([{ key: 'tls/k', value: 'v' }]);
      expect((await store.get('tls/k'))?.value).toBe('v');

      const anonymous = new EtcdKvStore({
        endpoints: [secure.url],
        tls: { ca },
        logger,
        requestTimeoutMs: 2_000,
      });
      stores.push(anonymous);
      await expect(anonymous.get('tls/k')).rejects.toThrow(/kvstore get/);
    } finally {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await secure.destroy();
    }
  }, 30_000);
});
