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

/** Where a request path points: a kind's collection (optionally in a namespace) or one object. */
interface ResourcePath {
  readonly kind: ResourceKind;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

interface InjectedFailure {
  readonly matches: (method: string, path: string) => boolean;
  readonly code: number;
  remaining: number;
}

/**
 * A Kubernetes API server double that speaks the real HTTP protocol: API
 * discovery, list with a resourceVersion (and a label selector), chunked
 * watch streams, and writes: create, get, replace, merge and JSON patch,
 * delete, and the status subresource. Tests point the real
 * @kubernetes/client-node at it through a kubeconfig file.
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
  /** Every write (`METHOD PATH`), in arrival order. */
  readonly writes: string[] = [];
  private readonly failures: InjectedFailure[] = [];
  private uids = 0;

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

  /** The stored object, as a client would read it. */
  get(kind: ResourceKind, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.store(kind).get(namespace ? `${namespace}/${name}` : name);
    return object ? structuredClone(object) : undefined;
  }

  /** Every stored object of a kind. */
  list(kind: ResourceKind): KubeObject[] {
    return [...this.store(kind).values()].map((o) => structuredClone(o));
  }

  /** Answers the next `count` requests matching `matches(method, path)` with `code`, as a failing server would. */
  failRequests(matches: (method: string, path: string) => boolean, count: number, code = 500): void {
    this.failures.push({ matches, code, remaining: count });
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
    const method = req.method ?? 'GET';
    const failure = this.failures.find((f) => f.remaining > 0 && f.matches(method, url.pathname));
    if (failure) {
      failure.remaining--;
      return this.status(res, failure.code, `injected failure for ${method} ${url.pathname}`);
    }
    const discovery = this.discovery(url.pathname);
    if (discovery) return this.json(res, discovery);
    const target = this.resourcePath(url.pathname);
    if (target && (method !== 'GET' || target.name !== undefined)) {
      void this.readBody(req).then(
        (body) => this.write(method, url.pathname, target, body, req.headers['content-type'] ?? '', res),
        () => this.status(res, 400, 'unreadable request body'),
      );
      return;
    }
    const kind = target?.kind;
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
    const selector = url.searchParams.get('labelSelector');
    const inNamespace = target.namespace;
    const selected = [...this.store(kind).values()].filter(
      (obj) =>
        (inNamespace === undefined || obj.metadata.namespace === inNamespace) &&
        (selector === null || matchesLabels(obj, selector)),
    );
    const items = selected.map((obj) => {
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

  /** Parses `/api/v1[/namespaces/NS]/PLURAL[/NAME[/SUB]]` and its `/apis/GROUP/VERSION` form. */
  private resourcePath(pathname: string): ResourcePath | undefined {
    const core = /^\/api\/(v1)\/(.*)$/.exec(pathname);
    const grouped = /^\/apis\/([^/]+)\/([^/]+)\/(.*)$/.exec(pathname);
    const [group, version, rest] = core
      ? ['', core[1], core[2]]
      : grouped
        ? [grouped[1], grouped[2], grouped[3]]
        : [];
    if (version === undefined || rest === undefined) return undefined;
    const parts = rest.split('/').filter((p) => p !== '');
    const find = (plural: string | undefined): ResourceKind | undefined =>
      this.kinds.find((k) => k.group === group && k.version === version && k.plural === plural);
    if (parts[0] === 'namespaces' && parts.length >= 3) {
      const kind = find(parts[2]);
      if (kind?.namespaced)
        return {
          kind,
          namespace: parts[1]!,
          ...(parts[3] ? { name: parts[3] } : {}),
          ...(parts[4] ? { subresource: parts[4] } : {}),
        };
    }
    const kind = find(parts[0]);
    if (!kind) return undefined;
    return { kind, ...(parts[1] ? { name: parts[1] } : {}), ...(parts[2] ? { subresource: parts[2] } : {}) };
  }

  private readBody(req: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('error', reject);
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(text === '' ? undefined : JSON.parse(text));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  private write(
    method: string,
    pathname: string,
    target: ResourcePath,
    body: unknown,
    contentType: string,
    res: http.ServerResponse,
  ): void {
    this.writes.push(`${method} ${pathname}`);
    const { kind, namespace, name, subresource } = target;
    const store = this.store(kind);
    const key = namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
    const current = name === undefined ? undefined : store.get(key);
    if (method === 'POST' && name === undefined) return this.create(kind, namespace, body, res);
    if (!current) return this.status(res, 404, `${kind.plural} "${name ?? ''}" not found`, 'NotFound');
    if (method === 'GET') return this.json(res, current);
    if (method === 'DELETE') {
      this.delete(kind, namespace, current.metadata.name ?? '');
      return this.json(res, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 });
    }
    if (method !== 'PUT' && method !== 'PATCH') return this.status(res, 405, `method ${method} not allowed`);
    let next: KubeObject;
    try {
      next = method === 'PUT' ? (body as KubeObject) : patchObject(current, body, contentType);
    } catch (err) {
      return this.status(res, 422, err instanceof Error ? err.message : String(err), 'Invalid');
    }
    const updated: KubeObject =
      subresource === 'status'
        ? { ...structuredClone(current), status: structuredClone(next['status']) }
        : { ...structuredClone(next), status: structuredClone(current['status']) };
    if (updated['status'] === undefined) delete updated['status'];
    updated.metadata = {
      ...updated.metadata,
      name: current.metadata.name ?? '',
      ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
      ...(current.metadata.uid ? { uid: current.metadata.uid } : {}),
      ...(current.metadata.creationTimestamp
        ? { creationTimestamp: current.metadata.creationTimestamp }
        : {}),
    };
    updated.apiVersion = apiVersionOf(kind);
    updated.kind = kind.kind;
    this.apply(kind, updated);
    this.json(res, store.get(key) ?? updated);
  }

  private create(
    kind: ResourceKind,
    namespace: string | undefined,
    body: unknown,
    res: http.ServerResponse,
  ): void {
    if (typeof body !== 'object' || body === null)
      return this.status(res, 400, 'the body must be an object', 'BadRequest');
    const object = structuredClone(body) as KubeObject;
    object.metadata ??= {};
    const name = object.metadata.name;
    if (!name) return this.status(res, 422, 'metadata.name: Required value', 'Invalid');
    if (kind.namespaced) object.metadata.namespace = namespace ?? object.metadata.namespace ?? 'default';
    const key = kind.namespaced ? `${object.metadata.namespace}/${name}` : name;
    if (this.store(kind).has(key))
      return this.status(res, 409, `${kind.plural} "${name}" already exists`, 'AlreadyExists');
    object.apiVersion = apiVersionOf(kind);
    object.kind = kind.kind;
    object.metadata.uid ??= `fake-uid-${++this.uids}`;
    object.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.apply(kind, object);
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify(this.store(kind).get(key)));
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
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      }));
    if (resources.length === 0) return undefined;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
  }

  private json(res: http.ServerResponse, body: object): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: http.ServerResponse, code: number, message: string, reason?: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message,
        code,
        ...(reason !== undefined ? { reason } : {}),
      }),
    );
  }
}

/** Equality-based label selectors (`a=b,c==d,e!=f`), the forms list requests use. */
function matchesLabels(object: KubeObject, selector: string): boolean {
  const labels = object.metadata.labels ?? {};
  return selector
    .split(',')
    .filter((term) => term.trim() !== '')
    .every((term) => {
      const negated = term.includes('!=');
      const [key, value] = term.split(negated ? '!=' : /==?/).map((p) => p.trim());
      if (value === undefined) return key !== undefined && key in labels;
      return negated ? labels[key ?? ''] !== value : labels[key ?? ''] === value;
    });
}

/** RFC 7386 merge patch: objects merge, null deletes, everything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902 JSON patch, for the operations controllers send: add, replace, remove. */
function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new Error('a JSON patch must be a list of operations');
  const root = { doc: structuredClone(target) } as Record<string, unknown>;
  for (const op of operations as Array<{ op: string; path: string; value?: unknown }>) {
    const keys = [
      'doc',
      ...op.path
        .split('/')
        .slice(1)
        .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')),
    ];
    const last = keys.pop()!;
    let parent: Record<string, unknown> = root;
    for (const key of keys) {
      const child = parent[key];
      if (typeof child !== 'object' || child === null) throw new Error(`path ${op.path} does not exist`);
      parent = child as Record<string, unknown>;
    }
    if (op.op === 'remove') delete parent[last];
    else if (op.op === 'add' || op.op === 'replace') {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`path ${op.path} does not exist`);
      if (Array.isArray(parent) && last === '-') parent.push(structuredClone(op.value));
      else parent[last] = structuredClone(op.value);
    } else throw new Error(`unsupported JSON patch operation ${op.op}`);
  }
  return root['doc'];
}

function patchObject(current: KubeObject, patch: unknown, contentType: string): KubeObject {
  const patched = contentType.startsWith('application/json-patch+json')
    ? jsonPatch(current, patch)
    : mergePatch(current, patch);
  return patched as KubeObject;
}
