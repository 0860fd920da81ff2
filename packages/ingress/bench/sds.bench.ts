import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import {
  EnvoyCodec,
  envoyResourceTypes,
  NodeSnapshotCache,
  TypeUrls,
  type Snapshot,
} from '@ciliary/service-mesh-translator';
import { AdsServer } from '@ciliary/service-mesh-translator/server';
import { connectAds, RawAdsStream } from '@ciliary/service-mesh-translator/testing';
import { buildIngressXds, ingressConfig, translateIngresses } from '../src';
import { benchCluster } from './inputs';

const INGRESSES = 100;

let server: AdsServer | undefined;
let client: ReturnType<typeof connectAds> | undefined;
let stream: RawAdsStream | undefined;

/**
 * A rotated TLS Secret on its way to Envoy, as the agent serves it: the whole
 * snapshot of 100 dedicated Ingresses rebuilt with the new certificate (timed
 * apart), then from handing it to the cache to a connected SDS client (real
 * gRPC over loopback, subscribed to every certificate) receiving the new one.
 */
export async function register(bench: Bench): Promise<void> {
  const codec = EnvoyCodec.load();
  const registry = envoyResourceTypes();
  const objects = benchCluster(INGRESSES, 'dedicated');
  const of = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
  const translation = translateIngresses(
    { ingresses: of('Ingress'), services: of('Service'), secrets: of('Secret') },
    ingressConfig(),
  );
  let rotation = 0;
  const rotated = (): Snapshot => {
    rotation++;
    const secrets = translation.secrets.map((secret, i) =>
      i === 0
        ? {
            ...secret,
            data: { 'tls.crt': Buffer.from(`crt-${rotation}`).toString('base64'), 'tls.key': 'a2V5' },
          }
        : secret,
    );
    return buildIngressXds(codec, registry, {
      envoyConfigs: translation.envoyConfigs,
      services: [...of('Service'), ...translation.services],
      endpointSlices: of('EndpointSlice'),
      secrets,
      secretsNamespace: 'cilium-secrets',
    }).snapshot;
  };

  const cache = new NodeSnapshotCache();
  cache.setSnapshot('*', rotated());
  server = new AdsServer({ cache, codec });
  const address = await server.start('127.0.0.1:0');
  client = connectAds(address);
  const sds = new RawAdsStream(client, codec, 'sotw');
  stream = sds;
  const names = [...cache.getSnapshot('*')!.resources(TypeUrls.secret).keys()];
  let received = 0;
  const ackNext = async (): Promise<void> => {
    const response = await sds.response(received, 10_000);
    received++;
    sds.send({ type_url: TypeUrls.secret, version_info: response['version_info'], response_nonce: response['nonce'], resource_names: names }); // prettier-ignore
  };
  sds.send({ node: { id: 'bench-envoy' }, type_url: TypeUrls.secret, resource_names: names });
  await ackNext();

  bench.add(`rebuild the snapshot of ${INGRESSES} Ingresses with a rotated certificate`, () => {
    rotated();
  });
  let next: Snapshot | undefined;
  bench.add(
    `rotated certificate: cache -> ${names.length} SDS secrets pushed -> client receives (loopback gRPC)`,
    async () => {
      cache.setSnapshot('*', next!);
      await ackNext();
    },
    {
      beforeEach: () => {
        next = rotated();
      },
    },
  );
}

export async function teardown(): Promise<void> {
  stream?.close();
  client?.close();
  await server?.stop();
}
