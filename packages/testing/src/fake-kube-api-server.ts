import * as http from 'node:http';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  apiVersionOf,
  listPath,
  resourceKey as objectKey,
  type KubeObject,
  type ResourceKind,
} from '@ciliary/core';

interface Watcher {
  readonly kind: ResourceKind;
  readonly res: http.ServerResponse;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A Kubernetes API server double that speaks the real HTTP protocol: API
 * discovery, list with a resourceVersion, and chunked watch streams. Tests
 * point the real @kubernetes/client-node at it through a kubeconfig file.
 */
export class FakeKubeApiServer {
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly watchers = new Set<Watcher>();
  private revision = 1;
  /** Every change, so a watch that resumes from a resourceVersion gets what it missed. */
  private readonly history: Array<{
    revision: number;
    kind: ResourceKind;
    type: WatchEventType;
    object: KubeObject;
  }> = [];
  /** Every request path with its query, in arrival order. */
  readonly requests: string[] = [];

  constructor(private readonly kinds: readonly ResourceKind[]) {
    for (const kind of kinds) this.objects.set(listPath(kind), new Map());
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Writes a kubeconfig pointing at this server and returns its path. */
  async writeKubeconfig(dir: string): Promise<string> {
    const file = path.join(dir, 'kubeconfig');
    const config = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: fake\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: tester\n  user:\n    token: test-token',
      'contexts:',
      '- name: fake\n  context:\n    cluster: fake\n    user: tester',
      'current-context: fake',
      '',
    ].join('\n');
    await fs.writeFile(file, config);
    return file;
  }

  /** Creates or replaces an object, notifying open watches. */
  apply(kind: ResourceKind, object: KubeObject): void {
    const store = this.store(kind);
    const key = objectKey(object);
    const existed = store.has(key);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    store.set(key, stored);
    this.notify(kind, existed ? 'MODIFIED' : 'ADDED', stored);
  }

  delete(kind: ResourceKind, namespace: string | undefined, name: string): void {
    const store = this.store(kind);
    const key = namespace ? `${namespace}/${name}` : name;
    const object = store.get(key);
    if (!object) return;
    store.delete(key);
    const deleted = structuredClone(object);
    deleted.metadata.resourceVersion = String(++this.revision);
    this.notify(kind, 'DELETED', deleted);
  }

  /** Ends every open watch stream, as an API server does on timeout or restart. */
  closeWatches(): void {
    for (const watcher of this.watchers) watcher.res.end();
    this.watchers.clear();
  }

  /** Number of watch streams currently open. */
  get openWatches(): number {
    return this.watchers.size;
  }

  private store(kind: ResourceKind): Map<string, KubeObject> {
    const store = this.objects.get(listPath(kind));
    if (!store) throw new Error(`kind ${kind.kind} is not served`);
    return store;
  }

  private notify(kind: ResourceKind, type: WatchEventType, object: KubeObject): void {
    this.history.push({ revision: this.revision, kind, type, object });
    for (const watcher of this.watchers) {
      if (watcher.kind !== kind) continue;
      watcher.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== 'Bearer test-token') return this.status(res, 401, 'Unauthorized');
    const discovery = this.discovery(url.pathname);
    if (discovery) return this.json(res, discovery);
    const kind = this.kinds.find((k) => listPath(k) === url.pathname);
    if (!kind)
      return this.status(res, 404, `the server could not find the requested resource ${url.pathname}`);
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const since = Number(url.searchParams.get('resourceVersion') ?? '0');
      for (const event of this.history) {
        if (event.kind === kind && event.revision > since) {
          res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
        }
      }
      const watcher = { kind, res };
      this.watchers.add(watcher);
      req.on('close', () => this.watchers.delete(watcher));
      return;
    }
    const items = [...this.store(kind).values()].map((obj) => {
      const item: Partial<KubeObject> = { ...obj };
      delete item.apiVersion;
      delete item.kind;
      return item;
    });
    this.json(res, {
      apiVersion: apiVersionOf(kind),
      kind: `${kind.kind}List`,
      metadata: { resourceVersion: String(this.revision) },
      items,
    });
  }

  private discovery(pathname: string): object | undefined {
    const groupVersion = pathname === '/api/v1' ? 'v1' : pathname.match(/^\/apis\/([^/]+\/[^/]+)$/)?.[1];
    if (!groupVersion) return undefined;
    const resources = this.kinds
      .filter((k) => apiVersionOf(k) === groupVersion)
      .map((k) => ({
        name: k.plural,
        singularName: '',
        namespaced: k.namespaced,
        kind: k.kind,
        verbs: ['list', 'watch'],
      }));
    if (resources.length === 0) return undefined;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
  }

  private json(res: http.ServerResponse, body: object): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: http.ServerResponse, code: number, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code }));
  }
}
