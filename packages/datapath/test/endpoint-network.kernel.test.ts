import { afterAll, describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { isRoot, kernelTest } from '@ciliary/testing';
import { EndpointNetworkManager, hostVethName, netnsName } from '../src';

const feature = { name: 'root with network namespaces and veth', available: () => isRoot() };
const router = { hostDevice: 'cnettest_host', peerDevice: 'cnettest_net', routerIp: '169.254.43.1' };
const pods = [
  { namespace: `nt${process.pid}`, pod: 'client', ipv4: '10.78.0.1' },
  { namespace: `nt${process.pid}`, pod: 'server', ipv4: '10.78.0.2' },
];

function ping(fromNetns: string, ip: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', fromNetns, 'ping', '-c', '1', '-W', '1', ip], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('EndpointNetworkManager', () => {
  const manager = new EndpointNetworkManager(router);

  afterAll(async () => {
    if (!feature.available()) return;
    for (const pod of pods) await manager.removePod(pod);
    await manager.removeRouter();
  });

  kernelTest(
    'creates pod namespaces that reach each other through the host, idempotently',
    feature,
    async () => {
      await manager.ensureRouter();
      const [client, server] = [await manager.ensurePod(pods[0]!), await manager.ensurePod(pods[1]!)];
      expect(client).toMatchObject({
        netns: `ciliary-nt${process.pid}-client`,
        hostVeth: hostVethName(pods[0]!),
        ipv4: '10.78.0.1',
      });
      expect(client.hostVeth.length).toBeLessThanOrEqual(15);
      expect(ping(client.netns, server.ipv4)).toBe(true);

      const again = await manager.ensurePod(pods[0]!);
      expect(again.ifindex).toBe(client.ifindex);
      expect(await manager.listPodNamespaces()).toEqual(
        expect.arrayContaining([netnsName(pods[0]!), netnsName(pods[1]!)]),
      );

      await manager.removePod(pods[1]!);
      expect(await manager.listPodNamespaces()).not.toContain(netnsName(pods[1]!));
      expect(ping(client.netns, '10.78.0.2')).toBe(false);
      await manager.removePod(pods[1]!); // removing twice is fine
    },
    30_000,
  );

  kernelTest(
    'the router stays while its own pods route through it, not for pods of another router',
    feature,
    async () => {
      const other = new EndpointNetworkManager({
        hostDevice: 'cnetoth_host',
        peerDevice: 'cnetoth_net',
        routerIp: '169.254.48.1',
      });
      const otherPod = { namespace: `no${process.pid}`, pod: 'solo', ipv4: '10.78.1.1' };
      const linkExists = (name: string): boolean => {
        try {
          execFileSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' });
          return true;
        } catch {
          return false;
        }
      };
      try {
        await other.ensureRouter();
        await other.ensurePod(otherPod);
        await manager.ensureRouter();
        await manager.ensurePod(pods[0]!);

        await manager.removeRouter();
        expect(linkExists(router.hostDevice)).toBe(true); // its own pod still routes through it
        await manager.removePod(pods[0]!);
        await manager.removeRouter();
        expect(linkExists(router.hostDevice)).toBe(false); // the other router's pod does not hold it
        await other.removeRouter();
        expect(linkExists('cnetoth_host')).toBe(true);
      } finally {
        await other.removePod(otherPod);
        await other.removeRouter();
      }
      expect(linkExists('cnetoth_host')).toBe(false);
    },
    30_000,
  );
});
