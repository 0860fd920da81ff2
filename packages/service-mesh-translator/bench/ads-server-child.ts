// An ADS server in its own process, so the memory the clients cost the server
// can be measured without the clients in the same heap. Started by memory.bench.ts.
import { buildServiceMeshSnapshots, EnvoyCodec, envoyResourceTypes, NodeSnapshotCache } from '../src';
import { AdsServer } from '../src/server';
import { gammaRoute, services } from './inputs';

async function main(): Promise<void> {
  const codec = EnvoyCodec.load();
  const cache = new NodeSnapshotCache();
  const built = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
    ...services(11),
    routes: [gammaRoute(100)],
  });
  cache.setSnapshot('*', built.proxyless);
  const server = new AdsServer({ cache, codec });
  const address = await server.start('127.0.0.1:0');
  process.on('message', (message: string) => {
    if (message === 'measure') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      process.send?.({
        rss: usage.rss,
        heap: usage.heapUsed + usage.external,
        streams: server.metrics().connectedStreams,
      });
    } else if (message === 'stop') {
      void server.stop().then(() => process.exit(0));
    }
  });
  process.send?.({ address });
}

void main();
