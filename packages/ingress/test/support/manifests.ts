import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@ciliary/core';

const CLUSTER_SCOPED = new Set(['IngressClass', 'Namespace']);

/** Reads a multi-document manifest file; namespaced objects default to `default`, as kubectl does. */
export function readManifests(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
    .map((o) =>
      CLUSTER_SCOPED.has(o.kind)
        ? o
        : { ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } },
    );
}
