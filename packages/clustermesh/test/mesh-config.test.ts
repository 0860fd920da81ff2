import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { keepLastGood, loadMeshConfig, type RemoteClusterConfig } from '../src/mesh-config';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ciliary-meshcfg-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the clustermesh configuration directory', () => {
  test('one file per cluster, as Cilium mounts them; secret links, certificates and the local cluster are skipped', async () => {
    await mkdir(path.join(dir, '..2024_01_01'));
    await writeFile(path.join(dir, '..2024_01_01', 'west'), 'endpoints:\n- http://10.0.0.1:2379\n');
    await symlink('..2024_01_01', path.join(dir, '..data'));
    await writeFile(
      path.join(dir, 'west'),
      'endpoints:\n- https://west.mesh.cilium.io:2379\ntrusted-ca-file: /var/lib/cilium/clustermesh/west.etcd-client-ca.crt\n' +
        'key-file: west.etcd-client.key\ncert-file: west.etcd-client.crt\n',
    );
    await writeFile(path.join(dir, 'west.etcd-client.crt'), '-----BEGIN CERTIFICATE-----\n');
    await writeFile(path.join(dir, 'south'), 'endpoints:\n  - http://127.0.0.1:2379/\n');
    await writeFile(path.join(dir, 'east'), 'endpoints:\n- http://127.0.0.1:1\n');
    const config = await loadMeshConfig(dir, 'east');
    expect(config.issues).toEqual([]);
    expect(config.clusters).toEqual([
      { name: 'south', endpoints: ['http://127.0.0.1:2379'], path: path.join(dir, 'south') },
      {
        name: 'west',
        endpoints: ['https://west.mesh.cilium.io:2379'],
        caFile: '/var/lib/cilium/clustermesh/west.etcd-client-ca.crt',
        certFile: path.join(dir, 'west.etcd-client.crt'),
        keyFile: path.join(dir, 'west.etcd-client.key'),
        path: path.join(dir, 'west'),
      },
    ]);
  });

  test('every problem is reported with its file and field', async () => {
    await writeFile(path.join(dir, 'Bad_Name'), 'endpoints:\n- http://127.0.0.1:2379\n');
    await writeFile(path.join(dir, 'west'), 'endpoints:\n- ftp://x\n- 7\ncert-file: c.crt\n');
    await writeFile(path.join(dir, 'north'), 'endpoints: [\n');
    await writeFile(path.join(dir, 'south'), `endpoints: ${'['.repeat(6000)}${']'.repeat(6000)}`);
    const config = await loadMeshConfig(dir, 'east');
    expect(config.clusters).toEqual([]);
    expect(config.issues.map((i) => `${path.basename(i.document ?? '')}:${i.path}: ${i.message}`)).toEqual([
      'Bad_Name:: cluster name "Bad_Name" must consist of lower case alphanumeric characters and \'-\', and start and end with an alphanumeric character',
      expect.stringMatching(/^north:: invalid YAML/),
      'south:: invalid YAML: flow collections nested 6000 deep (at most 1000 are read)',
      'west:/endpoints/0: "ftp://x" is not an http:// or https:// endpoint',
      'west:/endpoints/1: 7 is not an http:// or https:// endpoint',
      'west:: cert-file and key-file must be given together',
      'west:/trusted-ca-file: client certificates need trusted-ca-file',
    ]);
  });

  test('a missing directory is an issue, not an exception', async () => {
    const config = await loadMeshConfig(path.join(dir, 'nope'), 'east');
    expect(config.issues[0]?.message).toBe('directory does not exist');
  });

  test('a cluster whose file turns bad or half-written keeps its last good configuration; a removed file removes it', async () => {
    const file = path.join(dir, 'west');
    await writeFile(file, 'endpoints:\n- http://10.0.0.1:2379\n');
    let previous = new Map<string, RemoteClusterConfig>();
    const reload = async () => {
      const config = keepLastGood(await loadMeshConfig(dir, 'east'), previous);
      previous = new Map(config.clusters.map((c) => [c.name, c]));
      return config;
    };
    expect((await reload()).clusters.map((c) => c.endpoints)).toEqual([['http://10.0.0.1:2379']]);

    await writeFile(file, 'endpoints:\n- ftp://nope\n');
    const bad = await reload();
    expect(bad.clusters.map((c) => c.endpoints)).toEqual([['http://10.0.0.1:2379']]);
    expect(bad.issues.map((i) => i.message)).toEqual([
      '"ftp://nope" is not an http:// or https:// endpoint',
      'keeping the last good configuration',
    ]);

    await writeFile(file, ''); // caught half-way through a rewrite
    expect((await reload()).clusters.map((c) => c.name)).toEqual(['west']);

    await rm(file);
    expect((await reload()).clusters).toEqual([]);
  });
});
