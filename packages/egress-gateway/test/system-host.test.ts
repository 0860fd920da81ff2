import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { defaultRouteFrom, deriveEgressIP, readHostInterfaces } from '../src';

const netns = {
  name: 'network namespaces (root, iproute2)',
  available: (): boolean => isRoot() && hasIp(),
};

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V']);
    return true;
  } catch {
    return false;
  }
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

describe('reading the host interfaces', () => {
  test('the default route with the lowest metric wins; routes that are down or not default are skipped', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth1\t00000000\t0101A8C0\t0002\t0\t0\t10\t00000000\t0\t0\t0', // not up
      'eth0\t00000000\t010200C0\t0003\t0\t0\t200\t00000000\t0\t0\t0',
      'ens5\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'ens6\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    expect(defaultRouteFrom(table)).toBe('ens5');
    expect(defaultRouteFrom(table.split('\n').slice(0, 2).join('\n'))).toBeUndefined();
  });

  kernelTest(
    'the addresses of lo and the default-route interface are the ones ip(8) lists, in order',
    netns,
    () => {
      const host = readHostInterfaces();
      const defaultDev = /dev (\S+)/.exec(ip('-4', 'route', 'show', 'default'))?.[1];
      expect(host.defaultRouteInterface).toBe(defaultDev);
      for (const name of ['lo', ...(defaultDev ? [defaultDev] : [])]) {
        const listed = [
          ...ip('-4', '-o', 'addr', 'show', 'dev', name).matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g),
        ].map((m) => m[1]);
        expect(host.interfaces.find((i) => i.name === name)?.ipv4).toEqual(listed);
      }
    },
  );

  describe('in a network namespace of its own', () => {
    const ns = `ciliary-egw-${process.pid}`;
    let holder: ChildProcess | undefined;
    afterAll(() => {
      holder?.kill('SIGKILL');
      if (netns.available()) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    });

    kernelTest(
      'the default route of another namespace is found through /proc/PID/net/route',
      netns,
      async () => {
        ip('netns', 'add', ns);
        const inNs = (...args: string[]): string => ip('-n', ns, ...args);
        inNs('link', 'add', 'egw0', 'type', 'veth', 'peer', 'name', 'egw1');
        inNs('addr', 'add', '198.51.100.7/24', 'dev', 'egw1');
        inNs('link', 'set', 'egw0', 'up');
        inNs('link', 'set', 'egw1', 'up');
        inNs('route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'egw1', 'metric', '50');
        holder = spawn('ip', ['netns', 'exec', ns, 'sleep', '60'], { stdio: 'ignore' });
        const pid = holder.pid;
        // `ip netns exec` execs sleep in place once it has entered the namespace.
        await waitFor(
          () => {
            try {
              return (
                execFileSync('readlink', [`/proc/${pid}/ns/net`], { encoding: 'utf8' }) !==
                execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' })
              );
            } catch {
              return false;
            }
          },
          { description: 'the holder process to enter the namespace' },
        );
        const host = readHostInterfaces(`/proc/${pid}/net/route`);
        expect(host.defaultRouteInterface).toBe('egw1');
        const derived = deriveEgressIP(
          {},
          { interfaces: [{ name: 'egw1', ipv4: ['198.51.100.7'] }], defaultRouteInterface: 'egw1' },
        );
        expect(derived).toEqual({ egressIP: '198.51.100.7', interface: 'egw1' });
      },
    );
  });
});
