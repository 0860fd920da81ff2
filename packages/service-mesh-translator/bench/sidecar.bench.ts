import type { Bench } from 'tinybench';
import { buildServiceMeshSnapshots, EnvoyCodec, envoyResourceTypes } from '../src';
import { sidecarMesh } from './inputs';

// Sidecar mode: 1,000 Services in 10 namespaces, with 100 and 1,000 pods
// running a sidecar. The outbound part is built once (namespaces without
// consumer routes share it), the inbound part per pod.
export function register(bench: Bench): void {
  const codec = EnvoyCodec.load();
  const registry = envoyResourceTypes();
  for (const podsPerNamespace of [10, 100]) {
    const mesh = sidecarMesh(1_000, 10, podsPerNamespace);
    const pods = mesh.pods.length;
    bench.add(`1,000 Services, ${pods.toLocaleString('en-US')} sidecar pods -> all snapshots`, () => {
      const result = buildServiceMeshSnapshots(codec, registry, mesh);
      if (result.issues.length > 0 || result.sidecars.size !== pods)
        throw new Error(`bench input has problems: ${JSON.stringify(result.issues.slice(0, 3))}`);
    });
  }
}
