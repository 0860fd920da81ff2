import { execFileSync } from 'node:child_process';

/** Runs a command and returns its stdout; failures throw with stderr. */
export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function quiet(cmd: string, ...args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // best effort clean-up
  }
}

export const ROUTER_IP = '169.254.42.1';

/** A pod for tests: a network namespace with eth0, its /32 address and a route through the host side. */
export interface TestPod {
  readonly netns: string;
  readonly hostVeth: string;
  readonly ip: string;
  readonly ifindex: number;
  readonly mac: string;
}

export function ensureRouter(): void {
  // Like cilium_host/cilium_net: a veth pair whose host end holds the router IP
  // that pods use as their gateway (the kernel here has no dummy devices).
  if (!sh('ip', '-o', 'link', 'show').includes(' ctest_host@')) {
    sh('ip', 'link', 'add', 'ctest_host', 'type', 'veth', 'peer', 'name', 'ctest_net');
    sh('ip', 'addr', 'add', `${ROUTER_IP}/32`, 'dev', 'ctest_host');
    sh('ip', 'link', 'set', 'ctest_host', 'up');
    sh('ip', 'link', 'set', 'ctest_net', 'up');
  }
  sh('sysctl', '-qw', 'net.ipv4.ip_forward=1');
}

export function createPod(name: string, ip: string): TestPod {
  const netns = `ctest-${name}`;
  const hostVeth = `lxct${name}`.slice(0, 15);
  quiet('ip', 'netns', 'del', netns);
  quiet('ip', 'link', 'del', hostVeth);
  sh('ip', 'netns', 'add', netns);
  sh('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
  sh('ip', '-n', netns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
  sh('ip', '-n', netns, 'link', 'set', 'lo', 'up');
  sh('ip', '-n', netns, 'link', 'set', 'eth0', 'up');
  sh('ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
  sh('ip', '-n', netns, 'route', 'add', ROUTER_IP, 'dev', 'eth0', 'scope', 'link');
  sh('ip', '-n', netns, 'route', 'add', 'default', 'via', ROUTER_IP, 'dev', 'eth0');
  sh('ip', 'link', 'set', hostVeth, 'up');
  sh('sysctl', '-qw', `net.ipv6.conf.${hostVeth}.disable_ipv6=1`);
  sh('sysctl', '-qw', `net.ipv4.conf.${hostVeth}.rp_filter=0`);
  sh('ip', 'route', 'replace', `${ip}/32`, 'dev', hostVeth);
  const link = JSON.parse(sh('ip', '-j', 'link', 'show', hostVeth)) as Array<{
    ifindex: number;
    address: string;
  }>;
  return { netns, hostVeth, ip, ifindex: link[0]!.ifindex, mac: link[0]!.address };
}

export function deletePod(pod: TestPod): void {
  quiet('ip', 'netns', 'del', pod.netns);
  quiet('ip', 'link', 'del', pod.hostVeth);
  quiet('ip', 'route', 'del', `${pod.ip}/32`);
}

/** True when `from` gets an answer to one ping from `to`. */
export function pings(from: TestPod, to: TestPod): boolean {
  try {
    sh('ip', 'netns', 'exec', from.netns, 'ping', '-c', '1', '-W', '1', to.ip);
    return true;
  } catch {
    return false;
  }
}
