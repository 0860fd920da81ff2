import type * as k8s from '@kubernetes/client-node';
import { apiVersionOf, CiliaryError, type KubeObject, type ResourceKind } from '@ciliary/core';
import type { ClusterWriter, LoadBalancerAddress } from '../controller/writer';

export interface KubernetesClusterWriterOptions {
  /** A kubeconfig file; without it the in-cluster service account is used. */
  readonly kubeconfig?: string;
}

/** A write the API server refused, with its HTTP status. */
export class KubernetesWriteError extends CiliaryError {
  override readonly name = 'KubernetesWriteError';
  constructor(
    readonly operation: string,
    readonly code: number | undefined,
    options: { cause?: unknown },
  ) {
    super(`${operation}: ${code !== undefined ? `HTTP ${code}: ` : ''}${describe(options.cause)}`, options);
  }
}

function describe(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const message =
    typeof body === 'string'
      ? (/"message":"([^"]*)"/.exec(body)?.[1] ?? body)
      : (body as { message?: string })?.message;
  return message ?? (err instanceof Error ? err.message : String(err));
}

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Plain JSON as the client's object type; timestamps stay strings, which the API server accepts. */
function asClientObject(object: KubeObject): k8s.KubernetesObject {
  return object as unknown as k8s.KubernetesObject;
}

/** Loaded on first use, as the resource source does: the client is large and ESM-only. */
function loadClient(): typeof k8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@kubernetes/client-node') as typeof k8s;
}

/**
 * The controller's writes through @kubernetes/client-node: objects by merge
 * patch (creating them when absent), deletes that treat "not found" as done,
 * label-selected lists, the Ingress status subresource and Events.
 */
export class KubernetesClusterWriter implements ClusterWriter {
  private readonly client = loadClient();
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly networking: k8s.NetworkingV1Api;

  constructor(options: KubernetesClusterWriterOptions = {}) {
    const config = new this.client.KubeConfig();
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromCluster();
    this.objects = config.makeApiClient(this.client.KubernetesObjectApi);
    this.networking = config.makeApiClient(this.client.NetworkingV1Api);
  }

  async apply(object: KubeObject): Promise<void> {
    const operation = `apply ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
    const patch = (): Promise<unknown> =>
      this.objects.patch(
        asClientObject(object),
        undefined,
        undefined,
        'cilium-ingress-controller',
        undefined,
        this.client.PatchStrategy.MergePatch,
      );
    try {
      await patch();
    } catch (err) {
      if (codeOf(err) !== 404) throw new KubernetesWriteError(operation, codeOf(err), { cause: err });
      try {
        await this.objects.create(asClientObject(object), undefined, undefined, 'cilium-ingress-controller');
      } catch (createErr) {
        // Created by someone else in between: merge into theirs.
        if (codeOf(createErr) !== 409)
          throw new KubernetesWriteError(operation, codeOf(createErr), { cause: createErr });
        await patch().catch((again: unknown) => {
          throw new KubernetesWriteError(operation, codeOf(again), { cause: again });
        });
      }
    }
  }

  async delete(kind: ResourceKind, namespace: string | undefined, name: string): Promise<void> {
    const spec = {
      apiVersion: apiVersionOf(kind),
      kind: kind.kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
    };
    try {
      await this.objects.delete(spec);
    } catch (err) {
      if (codeOf(err) === 404) return;
      throw new KubernetesWriteError(`delete ${kind.kind} ${namespace ?? ''}/${name}`, codeOf(err), {
        cause: err,
      });
    }
  }

  async list(kind: ResourceKind, labelSelector: string): Promise<KubeObject[]> {
    try {
      const list = await this.objects.list(
        apiVersionOf(kind),
        kind.kind,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      return list.items.map((item) => {
        const plain = JSON.parse(JSON.stringify(item)) as KubeObject;
        plain.apiVersion ??= apiVersionOf(kind);
        plain.kind ??= kind.kind;
        return plain;
      });
    } catch (err) {
      throw new KubernetesWriteError(`list ${kind.kind} ${labelSelector}`, codeOf(err), { cause: err });
    }
  }

  async setIngressStatus(
    namespace: string,
    name: string,
    addresses: readonly LoadBalancerAddress[],
  ): Promise<void> {
    const loadBalancer = addresses.length > 0 ? { ingress: addresses } : {};
    try {
      // A JSON patch `add` replaces /status whether or not it is there.
      await this.networking.patchNamespacedIngressStatus({
        name,
        namespace,
        body: [{ op: 'add', path: '/status', value: { loadBalancer } }],
      });
    } catch (err) {
      if (codeOf(err) === 404) return;
      throw new KubernetesWriteError(`status of Ingress ${namespace}/${name}`, codeOf(err), { cause: err });
    }
  }

  async createEvent(event: KubeObject): Promise<void> {
    try {
      await this.objects.create(asClientObject(event));
    } catch (err) {
      if (codeOf(err) === 409) return;
      throw new KubernetesWriteError(`event ${event.metadata.name ?? ''}`, codeOf(err), { cause: err });
    }
  }
}
