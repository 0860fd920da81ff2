import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { isRoot, kernelTest } from '@ciliary/testing';
import {
  ct4AnyMap,
  ct4TcpMap,
  ct6AnyMap,
  ct6TcpMap,
  egressPolicyMap,
  ipcacheMap,
  KernelBackend,
  LoadBalancerMaps,
  lxcMap,
  metricsMap,
  PerCpuTypedMap,
  policyMap,
  snat4Map,
  snat6Map,
  tunnelMap,
  TypedMap,
  type MapDefinition,
} from '@ciliary/ebpf-maps';

// The real command line on real pinned maps: the built bin, a scratch directory on bpffs.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const bpfMaps = { name: 'BPF maps (root, bpffs)', available: () => isRoot() && existsSync('/sys/fs/bpf') };
const root = `/sys/fs/bpf/ciliary-cli-test-${process.pid}`;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const bpf = (...args: string[]) => run('bpf', ...args, '--pin-root', root);

const ctZero = {
  rx_packets: 0n,
  rx_bytes: 0n,
  tx_packets: 0n,
  tx_bytes: 0n,
  lifetime: 0,
  rx_closing: 0,
  tx_closing: 0,
  nat46: 0,
  lb_loopback: 0,
  seen_non_syn: 0,
  node_port: 0,
  proxy_redirect: 0,
  dsr: 0,
  from_l7lb: 0,
  rev_nat_index: 0,
  ifindex: 0,
  tx_flags_seen: 0,
  rx_flags_seen: 0,
  src_sec_id: 0,
  last_tx_report: 0,
  last_rx_report: 0,
};

beforeAll(() => {
  if (!bpfMaps.available()) return;
  mkdirSync(root, { recursive: true });
  const kernel = new KernelBackend();
  // Maps sized unlike Cilium's defaults: the CLI must read whatever the node configured.
  const small = { maxEntries: 128 };
  const definitions: Array<MapDefinition<unknown, unknown>> = [
    ipcacheMap(small),
    policyMap(42, small),
    egressPolicyMap(small),
    tunnelMap(small),
    lxcMap(small),
    ct4TcpMap(small),
    ct4AnyMap(small),
    snat4Map(small),
  ] as Array<MapDefinition<unknown, unknown>>;
  for (const d of definitions) kernel.open(d.spec, { pinRoot: root }).close();
  const lb = LoadBalancerMaps.open(kernel, { pinRoot: root, ...small });
  lb.upsertService({
    frontend: { address: '10.96.0.10', port: 53 },
    revNatIndex: 7,
    backends: [{ id: 3, address: '10.0.1.5', port: 5353, proto: 17 }],
  });
  const tuple = { daddr: '10.0.0.2', saddr: '10.0.0.1', dport: 80, sport: 40000, nexthdr: 6, flags: 0 };
  const ct = TypedMap.open(kernel, ct4TcpMap(small), { pinRoot: root });
  ct.set(tuple, {
    rx_packets: 1n,
    rx_bytes: 60n,
    tx_packets: 2n,
    tx_bytes: 120n,
    lifetime: 21600,
    rx_closing: 0,
    tx_closing: 0,
    nat46: 0,
    lb_loopback: 0,
    seen_non_syn: 1,
    node_port: 0,
    proxy_redirect: 0,
    dsr: 0,
    from_l7lb: 0,
    rev_nat_index: 0,
    ifindex: 0,
    tx_flags_seen: 0,
    rx_flags_seen: 0,
    src_sec_id: 1234,
    last_tx_report: 0,
    last_rx_report: 0,
  });
  TypedMap.open(kernel, lxcMap(small), { pinRoot: root }).set(
    { ip: '10.0.0.7', family: 1, key: 0 },
    { ifindex: 12, lxc_id: 42, flags: 0, mac: 'aa:bb:cc:dd:ee:ff', node_mac: '02:00:00:00:00:01' },
  );
  // IPv6: a service, a connection and a translation in the cilium_lb6_*, ct6 and snat_v6 maps.
  for (const d of [ct6TcpMap(small), ct6AnyMap(small)] as Array<MapDefinition<unknown, unknown>>)
    kernel.open(d.spec, { pinRoot: root }).close();
  LoadBalancerMaps.open(kernel, { pinRoot: root, ...small, family: 6 }).upsertService({
    frontend: { address: '2001:db8::10', port: 443 },
    revNatIndex: 8,
    backends: [{ id: 4, address: 'fd00::5', port: 8443, proto: 6 }],
  });
  const tuple6 = { daddr: 'fd00::2', saddr: 'fd00::1', dport: 443, sport: 50000, nexthdr: 17, flags: 1 };
  TypedMap.open(kernel, ct6AnyMap(small), { pinRoot: root }).set(tuple6, {
    ...ctZero,
    rx_packets: 3n,
    rx_bytes: 300n,
    lifetime: 60,
    src_sec_id: 77,
  });
  TypedMap.open(kernel, snat6Map(small), { pinRoot: root }).set(tuple6, {
    created: 5n,
    host_local: 0n,
    to_saddr: 'fd00::9',
    to_sport: 32768,
  });
  const metrics = PerCpuTypedMap.open(kernel, metricsMap({ maxEntries: 64 }), { pinRoot: root });
  metrics.set(
    { reason: 133, dir: 1 },
    Array.from({ length: kernel.possibleCpus }, () => ({ count: 2n, bytes: 200n })),
  );
});
afterAll(() => {
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
});

describe('ciliary bpf', () => {
  kernelTest('ipcache update, list (table and JSON), get by longest prefix, delete', bpfMaps, () => {
    expect(
      bpf('ipcache', 'update', '10.1.0.0/16', '--identity', '1234', '--tunnel-endpoint', '192.168.1.2').code,
    ).toBe(0);
    expect(bpf('ipcache', 'update', '10.0.0.0/8', '--identity', '2').code).toBe(0);
    const list = bpf('ipcache', 'list');
    expect(list.stdout).toBe(
      'IP PREFIX/ADDRESS   IDENTITY\n' +
        '10.0.0.0/8          identity=2 encryptkey=0 tunnelendpoint=0.0.0.0\n' +
        '10.1.0.0/16         identity=1234 encryptkey=0 tunnelendpoint=192.168.1.2\n',
    );
    expect(JSON.parse(bpf('ipcache', 'list', '-o', 'json').stdout)).toEqual([
      { cidr: '10.0.0.0/8', identity: 2, encryptKey: 0 },
      { cidr: '10.1.0.0/16', identity: 1234, tunnelEndpoint: '192.168.1.2', encryptKey: 0 },
    ]);
    expect(JSON.parse(bpf('ipcache', 'get', '10.1.9.9', '-o', 'json').stdout)).toEqual([
      { identity: 1234, tunnelEndpoint: '192.168.1.2', encryptKey: 0 },
    ]);
    expect(bpf('ipcache', 'delete', '10.1.0.0/16').code).toBe(0);
    const gone = bpf('ipcache', 'delete', '10.1.0.0/16');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('ciliary: 10.1.0.0/16 is not in the ipcache\n');
    const bad = bpf('ipcache', 'update', '10.1.0.0/40', '--identity', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^ciliary: ipcache_key: "10.1.0.0\/40" is not an IP address or CIDR\n$/);
  });

  kernelTest('policy, egress and tunnel entries written by hand read back', bpfMaps, () => {
    expect(bpf('policy', 'update', '42', '--identity', '1234', '--port', '80', '--proto', 'tcp').code).toBe(
      0,
    );
    expect(bpf('policy', 'update', '42', '--egress', '--deny').code).toBe(0);
    expect(bpf('policy', 'list', '42').stdout).toMatch(/Allow\s+Ingress\s+1234\s+80\/TCP\s+NONE\s+0\s+0/);
    expect(bpf('policy', 'list', '42').stdout).toMatch(/Deny\s+Egress\s+0\s+ANY\s+NONE/);
    expect(bpf('policy', 'delete', '42', '--egress').code).toBe(0);
    expect(JSON.parse(bpf('policy', 'list', '42', '-o', 'json').stdout)).toHaveLength(1);

    expect(
      bpf(
        'egress',
        'update',
        '10.0.1.5',
        '192.168.0.0/16',
        '--egress-ip',
        '172.18.0.10',
        '--gateway-ip',
        '172.18.0.2',
      ).code,
    ).toBe(0);
    expect(JSON.parse(bpf('egress', 'list', '-o', 'json').stdout)).toEqual([
      {
        sourceIp: '10.0.1.5',
        destinationCidr: '192.168.0.0/16',
        egressIp: '172.18.0.10',
        gatewayIp: '172.18.0.2',
      },
    ]);
    expect(bpf('egress', 'delete', '10.0.1.5', '192.168.0.0/16').code).toBe(0);

    expect(bpf('tunnel', 'update', '10.244.1.0', '192.168.1.2').code).toBe(0);
    expect(bpf('tunnel', 'list').stdout).toBe('TUNNEL         VALUE\n10.244.1.0:0   192.168.1.2:0\n');
  });

  kernelTest('policy get shows one entry by key', bpfMaps, () => {
    expect(
      bpf(
        'policy',
        'update',
        '42',
        '--identity',
        '555',
        '--port',
        '53',
        '--proto',
        'udp',
        '--proxy-port',
        '1000',
      ).code,
    ).toBe(0);
    expect(bpf('policy', 'get', '42', '--identity', '555', '--port', '53', '--proto', 'udp').stdout).toMatch(
      /^POLICY +DIRECTION +IDENTITY +PORT\/PROTO +PROXY PORT +BYTES +PACKETS\nAllow +Ingress +555 +53\/UDP +1000 +0 +0\n$/,
    );
    expect(
      JSON.parse(
        bpf('policy', 'get', '42', '--identity', '555', '--port', '53', '--proto', '17', '-o', 'json').stdout,
      ),
    ).toEqual([
      {
        sec_label: 555,
        dport: 53,
        protocol: 17,
        egress: 0,
        proxy_port: 1000,
        deny: 0,
        packets: '0',
        bytes: '0',
      },
    ]);
    const missing = bpf('policy', 'get', '42', '--identity', '555', '--port', '53', '--proto', 'tcp');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('ciliary: no such policy entry\n');
    expect(bpf('policy', 'delete', '42', '--identity', '555', '--port', '53', '--proto', 'udp').code).toBe(0);
  });

  kernelTest('endpoint get, update and delete; metrics get sums over CPUs', bpfMaps, () => {
    expect(
      bpf(
        'endpoint',
        'update',
        '10.0.0.8',
        '--ifindex',
        '13',
        '--lxc-id',
        '43',
        '--flags',
        '0x0',
        '--mac',
        '0A:1B:2C:3D:4E:5F',
        '--node-mac',
        '02:00:00:00:00:02',
      ).code,
    ).toBe(0);
    expect(bpf('endpoint', 'get', '10.0.0.8').stdout).toBe(
      'IP ADDRESS   LOCAL ENDPOINT INFO\n' +
        '10.0.0.8:0   id=43 flags=0x0000 ifindex=13 mac=0A:1B:2C:3D:4E:5F nodemac=02:00:00:00:00:02\n',
    );
    expect(bpf('endpoint', 'update', '10.0.0.9', '--flags', '1').code).toBe(0);
    expect(JSON.parse(bpf('endpoint', 'get', '10.0.0.9', '-o', 'json').stdout)).toEqual([
      {
        ip: '10.0.0.9',
        ifindex: 0,
        lxc_id: 0,
        flags: 1,
        mac: '00:00:00:00:00:00',
        node_mac: '00:00:00:00:00:00',
      },
    ]);
    expect(bpf('endpoint', 'get', '10.0.0.9').stdout).toMatch(/10\.0\.0\.9:0\s+\(localhost\)/);
    expect(bpf('endpoint', 'delete', '10.0.0.8').code).toBe(0);
    expect(bpf('endpoint', 'delete', '10.0.0.9').code).toBe(0);
    const gone = bpf('endpoint', 'get', '10.0.0.8');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('ciliary: 10.0.0.8 is not a local endpoint\n');
    expect(bpf('endpoint', 'update', '10.0.0.8', '--mac', 'zz').stderr).toBe(
      'ciliary: invalid --mac "zz": use six hex bytes like 0a:1b:2c:3d:4e:5f\n',
    );
    expect(bpf('endpoint', 'list').stdout).toMatch(
      /^IP ADDRESS +LOCAL ENDPOINT INFO\n10\.0\.0\.7:0 +id=42 [^\n]*\n$/,
    );

    const cpus = new KernelBackend().possibleCpus;
    expect(bpf('metrics', 'get', '133').stdout).toMatch(
      new RegExp(`^REASON +DIRECTION +PACKETS +BYTES\nPolicy denied +INGRESS +${2 * cpus} +${200 * cpus}\n$`),
    );
    expect(JSON.parse(bpf('metrics', 'get', '133', '--direction', '1', '-o', 'json').stdout)).toEqual([
      {
        reason: 133,
        reasonText: 'Policy denied',
        direction: 'INGRESS',
        packets: String(2 * cpus),
        bytes: String(200 * cpus),
      },
    ]);
    const none = bpf('metrics', 'get', '133', '--direction', 'egress');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('ciliary: no counter for reason 133 direction EGRESS\n');
  });

  kernelTest('lb, ct, nat, endpoint and metrics listings', bpfMaps, () => {
    const lb = bpf('lb', 'list');
    expect(lb.stdout).toMatch(/10\.96\.0\.10:53 +0\.0\.0\.0:0 \(7\) \(0\) \[flags 0x0, 1 backends\]/);
    expect(lb.stdout).toMatch(/10\.96\.0\.10:53 +10\.0\.1\.5:5353 \(7\) \(1\)/);
    expect(bpf('lb', 'list', '--revnat').stdout).toMatch(/7\s+10\.96\.0\.10:53/);
    expect(bpf('ct', 'list').stdout).toContain(
      'TCP OUT 10.0.0.1:40000 -> 10.0.0.2:80 expires=21600 RxPackets=1 RxBytes=60 TxPackets=2 TxBytes=120 Flags=seen_non_syn RevNAT=0 SourceSecurityID=1234\n',
    );
    // The IPv4 SNAT map is empty; the IPv6 one holds one translation (next test).
    expect(JSON.parse(bpf('nat', 'list', '-o', 'json').stdout)).toHaveLength(1);
    expect(bpf('endpoint', 'list').stdout).toMatch(
      /10\.0\.0\.7:0\s+id=42 flags=0x0000 ifindex=12 mac=AA:BB:CC:DD:EE:FF nodemac=02:00:00:00:00:01/,
    );
    const metrics = JSON.parse(bpf('metrics', 'list', '-o', 'json').stdout) as Array<Record<string, unknown>>;
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({ reason: 133, reasonText: 'Policy denied', direction: 'INGRESS' });
  });

  kernelTest('IPv6: lb (services, backends, revnat), ct and nat list both families', bpfMaps, () => {
    const lb = bpf('lb', 'list');
    expect(lb.stdout).toContain('[2001:db8::10]:443   [::]:0 (8) (0) [flags 0x0, 1 backends]');
    expect(lb.stdout).toContain('[2001:db8::10]:443   [fd00::5]:8443 (8) (1)');
    expect(lb.stdout).toContain('10.96.0.10:53        10.0.1.5:5353 (7) (1)');
    expect(bpf('lb', 'list', '--backends').stdout).toBe(
      'BACKEND ID   IP ADDRESS       PROTOCOL   STATE\n' +
        '3            10.0.1.5:5353    UDP        active\n' +
        '4            [fd00::5]:8443   TCP        active\n',
    );
    expect(bpf('lb', 'list', '--revnat').stdout).toMatch(/8\s+\[2001:db8::10\]:443/);
    expect(bpf('ct', 'list').stdout).toContain(
      'UDP IN [fd00::1]:50000 -> [fd00::2]:443 expires=60 RxPackets=3 RxBytes=300 TxPackets=0 TxBytes=0 Flags=RevNAT=0 SourceSecurityID=77\n',
    );
    expect(bpf('nat', 'list').stdout).toBe(
      'UDP IN [fd00::1]:50000 -> [fd00::2]:443 XLATE_DST [fd00::9]:32768 Created=5sec HostLocal=0\n',
    );
    expect(JSON.parse(bpf('nat', 'list', '-o', 'json').stdout)).toEqual([
      {
        ...{ daddr: 'fd00::2', saddr: 'fd00::1', dport: 443, sport: 50000, nexthdr: 17, flags: 1 },
        ...{ created: '5', host_local: '0', to_saddr: 'fd00::9', to_sport: 32768 },
      },
    ]);
  });

  kernelTest('lb service, backend and revnat entries written by hand, read back and deleted', bpfMaps, () => {
    expect(
      bpf('lb', 'backend', 'update', '10', '10.0.2.1:8080', '--proto', 'tcp', '--state', 'terminating').code,
    ).toBe(0);
    expect(bpf('lb', 'backend', 'update', '11', '[fd00::11]:80').code).toBe(0);
    expect(bpf('lb', 'revnat', 'update', '20', '10.96.0.20:80').code).toBe(0);
    expect(
      bpf(
        'lb',
        'service',
        'update',
        '10.96.0.20:80',
        '--count',
        '1',
        '--rev-nat-index',
        '20',
        '--flags',
        '0x2',
      ).code,
    ).toBe(0);
    expect(
      bpf(
        'lb',
        'service',
        'update',
        '10.96.0.20:80',
        '--slot',
        '1',
        '--backend-id',
        '10',
        '--rev-nat-index',
        '20',
      ).code,
    ).toBe(0);

    expect(bpf('lb', 'backend', 'get', '10').stdout).toBe(
      'BACKEND ID   IP ADDRESS      PROTOCOL   STATE\n10           10.0.2.1:8080   TCP        terminating\n',
    );
    expect(JSON.parse(bpf('lb', 'backend', 'get', '11', '-o', 'json').stdout)).toEqual([
      { id: 11, address: 'fd00::11', port: 80, proto: 0, flags: 0 },
    ]);
    expect(bpf('lb', 'revnat', 'get', '20').stdout).toBe('ID   ADDRESS\n20   10.96.0.20:80\n');
    expect(bpf('lb', 'revnat', 'get', '8').stdout).toBe('ID   ADDRESS\n8    [2001:db8::10]:443\n');
    const list = bpf('lb', 'list').stdout;
    expect(list).toContain('10.96.0.20:80        0.0.0.0:0 (20) (0) [flags 0x2, 1 backends]');
    expect(list).toContain('10.96.0.20:80        10.0.2.1:8080 (20) (1)');
    expect(bpf('lb', 'service', 'get', '10.96.0.20:80').stdout).toBe(
      'SERVICE ADDRESS   SLOT   BACKEND ID   COUNT   REVNAT_ID   FLAGS   FLAGS2\n' +
        '10.96.0.20:80     0      0            1       20          0x2     0x0\n' +
        '10.96.0.20:80     1      10           0       20          0x0     0x0\n',
    );
    const v6 = JSON.parse(bpf('lb', 'service', 'get', '[2001:db8::10]:443', '-o', 'json').stdout) as Array<{
      key: { backend_slot: number };
      value: { backend_id: number; rev_nat_index: number };
    }>;
    expect(v6.map((r) => [r.key.backend_slot, r.value.backend_id, r.value.rev_nat_index])).toEqual([
      [0, 0, 8],
      [1, 4, 8],
    ]);

    expect(bpf('lb', 'service', 'delete', '10.96.0.20:80').code).toBe(0);
    const gone = bpf('lb', 'service', 'get', '10.96.0.20:80');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('ciliary: no service 10.96.0.20:80\n');
    expect(bpf('lb', 'list').stdout).not.toContain('10.96.0.20');
    expect(bpf('lb', 'backend', 'delete', '10').code).toBe(0);
    expect(bpf('lb', 'backend', 'delete', '11').code).toBe(0);
    expect(bpf('lb', 'revnat', 'delete', '20').code).toBe(0);
    expect(bpf('lb', 'backend', 'delete', '10').stderr).toBe('ciliary: no backend 10\n');
    expect(bpf('lb', 'backend', 'update', '12', '10.0.2.1').stderr).toBe(
      'ciliary: invalid backend address "10.0.2.1": use IP:PORT ([IP]:PORT for IPv6)\n',
    );
  });

  kernelTest('ct and nat get and delete by tuple, as the listings print it', bpfMaps, () => {
    expect(bpf('ct', 'get', 'tcp', '10.0.0.1:40000', '10.0.0.2:80').stdout).toBe(
      'TCP OUT 10.0.0.1:40000 -> 10.0.0.2:80 expires=21600 RxPackets=1 RxBytes=60 TxPackets=2 TxBytes=120 Flags=seen_non_syn RevNAT=0 SourceSecurityID=1234\n',
    );
    const v6 = JSON.parse(
      bpf('ct', 'get', 'udp', '[fd00::1]:50000', '[fd00::2]:443', '--flags', 'in', '-o', 'json').stdout,
    ) as Array<Record<string, unknown>>;
    expect(v6[0]).toMatchObject({ map: 'cilium_ct_any6_global', rx_packets: '3', src_sec_id: 77, flags: 1 });
    expect(bpf('nat', 'get', 'udp', '[fd00::1]:50000', '[fd00::2]:443', '--flags', '1').stdout).toBe(
      'UDP IN [fd00::1]:50000 -> [fd00::2]:443 XLATE_DST [fd00::9]:32768 Created=5sec HostLocal=0\n',
    );
    const wrongDirection = bpf('ct', 'get', 'udp', '[fd00::1]:50000', '[fd00::2]:443');
    expect(wrongDirection.code).toBe(1);
    expect(wrongDirection.stderr).toBe(
      'ciliary: no connection [fd00::1]:50000 -> [fd00::2]:443 in cilium_ct_any6_global\n',
    );

    // Entries of their own to delete, so the listings above keep theirs.
    const kernel = new KernelBackend();
    const tuple = { daddr: '10.0.0.3', saddr: '10.0.0.1', dport: 53, sport: 5000, nexthdr: 17, flags: 0 };
    TypedMap.openPinned(kernel, ct4AnyMap(), root).set(tuple, { ...ctZero, lifetime: 30 });
    TypedMap.openPinned(kernel, snat4Map(), root).set(tuple, {
      created: 1n,
      host_local: 1n,
      to_saddr: '192.168.1.1',
      to_sport: 30000,
    });
    expect(bpf('nat', 'get', 'udp', '10.0.0.1:5000', '10.0.0.3:53').stdout).toBe(
      'UDP OUT 10.0.0.1:5000 -> 10.0.0.3:53 XLATE_SRC 192.168.1.1:30000 Created=1sec HostLocal=1\n',
    );
    expect(bpf('ct', 'delete', 'udp', '10.0.0.1:5000', '10.0.0.3:53').code).toBe(0);
    expect(bpf('nat', 'delete', 'udp', '10.0.0.1:5000', '10.0.0.3:53').code).toBe(0);
    expect(bpf('ct', 'delete', 'udp', '10.0.0.1:5000', '10.0.0.3:53').stderr).toBe(
      'ciliary: no connection 10.0.0.1:5000 -> 10.0.0.3:53 in cilium_ct_any4_global\n',
    );
    expect(bpf('nat', 'get', 'udp', '10.0.0.1:5000', '10.0.0.3:53').stderr).toBe(
      'ciliary: no translation 10.0.0.1:5000 -> 10.0.0.3:53 in cilium_snat_v4_external\n',
    );
    expect(bpf('ct', 'get', 'tcp', '10.0.0.1:1', '[fd00::2]:80').stderr).toBe(
      'ciliary: source 10.0.0.1:1 and destination [fd00::2]:80 are not of one address family\n',
    );
    expect(run('bpf', 'ct', '--help').stdout).toContain('There is no `ct update`');
  });

  kernelTest('egress and tunnel get', bpfMaps, () => {
    expect(
      bpf(
        'egress',
        'update',
        '10.0.1.6',
        '10.10.0.0/16',
        '--egress-ip',
        '172.18.0.11',
        '--gateway-ip',
        '172.18.0.3',
      ).code,
    ).toBe(0);
    expect(bpf('egress', 'get', '10.0.1.6', '10.10.0.0/16').stdout).toMatch(
      /^SOURCE IP +DESTINATION CIDR +EGRESS IP +GATEWAY IP\n10\.0\.1\.6 +10\.10\.0\.0\/16 +172\.18\.0\.11 +172\.18\.0\.3\n$/,
    );
    expect(bpf('egress', 'delete', '10.0.1.6', '10.10.0.0/16').code).toBe(0);
    expect(bpf('egress', 'get', '10.0.1.6', '10.10.0.0/16').stderr).toBe('ciliary: no such egress entry\n');

    expect(bpf('tunnel', 'update', '10.244.2.0', '192.168.1.3', '--encrypt-key', '2').code).toBe(0);
    expect(JSON.parse(bpf('tunnel', 'get', '10.244.2.0', '-o', 'json').stdout)).toEqual([
      { prefix: '10.244.2.0', endpoint: '192.168.1.3', key: 2 },
    ]);
    expect(bpf('tunnel', 'delete', '10.244.2.0').code).toBe(0);
    expect(bpf('tunnel', 'get', '10.244.2.0').stderr).toBe('ciliary: 10.244.2.0 is not in the tunnel map\n');
  });

  kernelTest('a missing map is one clear error line', bpfMaps, () => {
    const missing = run('bpf', 'ipcache', 'list', '--pin-root', `${root}/nope`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `ciliary: cilium_ipcache: open pinned: cannot open ${root}/nope/cilium_ipcache (ENOENT)\n`,
    );
  });
});

describe('ciliary bpf maglev', () => {
  // No kernel needed; kernelTest is not used so this runs everywhere.
  const maglev = (...args: string[]) => run('bpf', 'maglev', ...args);
  test("reproduces Cilium's TestReproducible table with --naming current", () => {
    const { code, stdout } = maglev(
      '--table-size',
      '251',
      '--naming',
      'current',
      '--first-id',
      '0',
      '--backend',
      '0.0.0.1:1,2',
      '--backend',
      '0.0.0.3:3,13',
      '--backend',
      '0.0.0.4:4,111',
      '--backend',
      '0.0.0.5:5,10',
    );
    expect(code).toBe(0);
    expect(stdout).toContain('[0.0.0.1:1/TCP,State:active]');
    expect(stdout).toContain(
      '\n2(5),3(1),2(3),1(1),2(2),0(1),2(1),3(1),2(1),3(1),2(1),1(1),2(7),1(1),2(14),',
    );
  });

  test('-o json gives the whole table; bad input is one line', () => {
    const json = JSON.parse(
      maglev(
        '--table-size',
        '1021',
        '--backend',
        '10.0.0.1:80',
        '--backend',
        '[fd00::1]:80/UDP',
        '-o',
        'json',
      ).stdout,
    ) as {
      table: number[];
      backends: Array<{ name: string; slots: number }>;
    };
    expect(json.table).toHaveLength(1021);
    expect(json.backends.map((b) => b.name)).toEqual(['10.0.0.1:80', '[fd00::1]:80']);
    expect(json.backends.map((b) => b.slots).reduce((a, b) => a + b)).toBe(1021);
    const bad = maglev('--table-size', '1000', '--backend', '10.0.0.1:80');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'ciliary: /tableSize: 1000 is not one of 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071\n',
    );
    expect(maglev('--backend', 'nonsense').stderr).toBe(
      'ciliary: invalid --backend "nonsense": use IP:PORT[/PROTO][,WEIGHT]\n',
    );
  });
});
