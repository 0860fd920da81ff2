import { createHash } from 'node:crypto';
import { runCommand, type CommandRunner } from './command';

/**
 * The network of one pod as the CNI plugin would make it: a namespace with
 * eth0 holding the pod's /32, a default route through the node's router IP,
 * and the host side of the veth with a /32 route back to the pod. Plain data.
 */
export interface PodNetworkSpec {
  readonly namespace: string;
  readonly pod: string;
  readonly ipv4: string;
}

/** What exists in the kernel for one pod. */
export interface PodNetwork {
  readonly netns: string;
  readonly hostVeth: string;
  readonly ipv4: string;
  readonly ifindex: number;
  readonly mac: string;
}

/** `ciliary-NAMESPACE-POD`, so tools can enter it with `ip netns exec`. */
export function netnsName(spec: Pick<PodNetworkSpec, 'namespace' | 'pod'>): string {
  return `ciliary-${spec.namespace}-${spec.pod}`;
}

/** `lxc` plus a hash of the pod, fitting the 15-character interface name limit, as Cilium names them. */
export function hostVethName(spec: Pick<PodNetworkSpec, 'namespace' | 'pod'>): string {
  return `lxc${createHash('sha256').update(`${spec.namespace}/${spec.pod}`).digest('hex').slice(0, 12)}`;
}

export interface NodeRouterSpec {
  /** Host end of the router veth pair, holding the router IP (Cilium's cilium_host). */
  readonly hostDevice: string;
  readonly peerDevice: string;
  readonly routerIp: string;
}

export const DEFAULT_ROUTER: NodeRouterSpec = {
  hostDevice: 'ciliary_host',
  peerDevice: 'ciliary_net',
  routerIp: '169.254.42.1',
};

/**
 * Makes pod networks exist, idempotently: each step checks before it acts, so
 * running it again (after a restart, or to repair drift) changes nothing that
 * is already right and never disturbs a live connection.
 */
export class EndpointNetworkManager {
  constructor(
    private readonly router: NodeRouterSpec = DEFAULT_ROUTER,
    private readonly run: CommandRunner = runCommand,
  ) {}

  /** The router device and forwarding; pods use the router IP as their gateway. */
  async ensureRouter(): Promise<void> {
    const { hostDevice, peerDevice, routerIp } = this.router;
    if (!(await this.linkExists(hostDevice))) {
      // Another agent (or test) on this host may create it at the same moment.
      await this.ip('link', 'add', hostDevice, 'type', 'veth', 'peer', 'name', peerDevice).catch(
        async (err: unknown) => {
          if (!(await this.linkExists(hostDevice))) throw err;
        },
      );
    }
    const addrs = await this.ip('-j', 'addr', 'show', 'dev', hostDevice);
    if (!addrs.includes(`"${routerIp}"`)) await this.ip('addr', 'add', `${routerIp}/32`, 'dev', hostDevice);
    await this.ip('link', 'set', hostDevice, 'up');
    await this.ip('link', 'set', peerDevice, 'up');
    await this.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  }

  async ensurePod(spec: PodNetworkSpec): Promise<PodNetwork> {
    const netns = netnsName(spec);
    const hostVeth = hostVethName(spec);
    if (!(await this.netnsExists(netns))) await this.ip('netns', 'add', netns);
    if (!(await this.linkExists(hostVeth))) {
      await this.ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    }
    await this.ensurePodSide(netns, spec.ipv4);
    await this.ip('link', 'set', hostVeth, 'up');
    await this.run('sysctl', ['-qw', `net.ipv6.conf.${hostVeth}.disable_ipv6=1`]);
    await this.run('sysctl', ['-qw', `net.ipv4.conf.${hostVeth}.rp_filter=0`]);
    await this.ip('route', 'replace', `${spec.ipv4}/32`, 'dev', hostVeth);
    const [link] = JSON.parse(await this.ip('-j', 'link', 'show', hostVeth)) as Array<{
      ifindex: number;
      address: string;
    }>;
    if (!link) throw new Error(`host veth ${hostVeth} vanished while setting up ${netns}`);
    return { netns, hostVeth, ipv4: spec.ipv4, ifindex: link.ifindex, mac: link.address };
  }

  /** Removes the namespace (which takes eth0 and so the veth pair with it) and the route. */
  async removePod(spec: Pick<PodNetworkSpec, 'namespace' | 'pod'>): Promise<void> {
    const netns = netnsName(spec);
    const hostVeth = hostVethName(spec);
    if (await this.netnsExists(netns)) await this.ip('netns', 'del', netns);
    // Deleting the namespace takes the veth pair with it, asynchronously.
    if (await this.linkExists(hostVeth)) await this.ip('link', 'del', hostVeth).catch(() => undefined);
  }

  /** Names of the namespaces this manager created (`ciliary-*`), for restore and clean-up. */
  async listPodNamespaces(): Promise<string[]> {
    const out = await this.ip('-j', 'netns', 'list');
    const list = out.trim() ? (JSON.parse(out) as Array<{ name: string }>) : [];
    return list.map((n) => n.name).filter((n) => n.startsWith('ciliary-'));
  }

  /**
   * Removes the router device, unless pods still route through it (another agent's on the same
   * router, say). Pods of agents with other routers do not keep it: their default route names
   * their own router's address.
   */
  async removeRouter(): Promise<void> {
    for (const netns of await this.listPodNamespaces()) if (await this.routesViaRouter(netns)) return;
    if (await this.linkExists(this.router.hostDevice))
      await this.ip('link', 'del', this.router.hostDevice).catch(() => undefined);
  }

  /** Whether a pod namespace's default route goes through this manager's router. */
  private async routesViaRouter(netns: string): Promise<boolean> {
    try {
      const out = await this.ip('-n', netns, '-j', 'route', 'show', 'default');
      const routes = out.trim() ? (JSON.parse(out) as Array<{ gateway?: string }>) : [];
      return routes.some((r) => r.gateway === this.router.routerIp);
    } catch {
      // A namespace removed meanwhile routes nowhere.
      return false;
    }
  }

  private async ensurePodSide(netns: string, ipv4: string): Promise<void> {
    const inNs = (...args: string[]): Promise<string> => this.ip('-n', netns, ...args);
    const addrs = await inNs('-j', 'addr', 'show', 'dev', 'eth0');
    if (!addrs.includes(`"${ipv4}"`)) await inNs('addr', 'add', `${ipv4}/32`, 'dev', 'eth0');
    await inNs('link', 'set', 'lo', 'up');
    await inNs('link', 'set', 'eth0', 'up');
    await this.run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    await inNs('route', 'replace', this.router.routerIp, 'dev', 'eth0', 'scope', 'link');
    await inNs('route', 'replace', 'default', 'via', this.router.routerIp, 'dev', 'eth0');
  }

  private async netnsExists(name: string): Promise<boolean> {
    return (await this.listAllNamespaces()).includes(name);
  }

  private async listAllNamespaces(): Promise<string[]> {
    const out = await this.ip('-j', 'netns', 'list');
    return out.trim() ? (JSON.parse(out) as Array<{ name: string }>).map((n) => n.name) : [];
  }

  private async linkExists(name: string): Promise<boolean> {
    try {
      await this.ip('link', 'show', 'dev', name);
      return true;
    } catch {
      return false;
    }
  }

  private ip(...args: string[]): Promise<string> {
    return this.run('ip', args);
  }
}
