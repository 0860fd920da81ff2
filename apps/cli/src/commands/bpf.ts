import { Command, Option } from 'commander';
import {
  ct4AnyMap,
  ct4TcpMap,
  ct6AnyMap,
  ct6TcpMap,
  DEFAULT_MAGLEV_SEED,
  DEFAULT_MAGLEV_TABLE_SIZE,
  dropReasonText,
  egressGwPolicyKeyCidr,
  egressGwPolicyKeyFor,
  egressPolicyMap,
  EndpointFlags,
  endpointKeyFor,
  IpcacheMap,
  ipcacheMap,
  KernelBackend,
  lb4BackendsMap,
  lb4ReverseNatMap,
  lb4ServicesMap,
  lb6BackendsMap,
  lb6ReverseNatMap,
  lb6ServicesMap,
  lxcMap,
  maglevBackendName,
  maglevTable,
  metricsMap,
  PerCpuTypedMap,
  policyMap,
  runLengthEncode,
  snat4Map,
  snat6Map,
  sumMetrics,
  tunnelMap,
  type Ipv4CtTuple,
  type Ipv4NatEntry,
  type Ipv6CtTuple,
  type Ipv6NatEntry,
  type MaglevBackend,
  type MaglevNaming,
  type EgressGwPolicyEntry,
  type EgressGwPolicyKey,
  type EndpointInfo,
  type EndpointKey,
  type MetricsKey,
  type MetricsValue,
  type PolicyEntry,
  type PolicyKey,
} from '@ciliary/ebpf-maps';
import type { CliIo } from '../io';
import { renderJson, renderTable, type Column, type OutputFormat } from '../output';
import {
  hostPort,
  mapCommand,
  openFamilies,
  openPinned,
  outputOption,
  parseFlagsValue,
  parseInteger,
  parseProtocol,
  print,
  protoName,
  type MapFlags,
} from './bpf-helpers';
import { ctLine, ctTupleCommands, natLine, natTupleCommands } from './bpf-ct';
import { lbEntryCommands } from './bpf-lb';

function ipcacheCommand(io: CliIo): Command {
  const command = new Command('ipcache').description(
    'cilium_ipcache: IP/CIDR to identity and tunnel endpoint',
  );
  const open = (flags: MapFlags): IpcacheMap => new IpcacheMap(openPinned(ipcacheMap(), flags.pinRoot));
  command.addCommand(
    mapCommand('list', 'list every entry').action((flags: MapFlags) => {
      const entries = open(flags).list();
      print(io, flags, entries, () =>
        renderTable(entries, [
          { header: 'IP PREFIX/ADDRESS', value: (e) => e.cidr },
          {
            header: 'IDENTITY',
            value: (e) =>
              `identity=${e.identity} encryptkey=${e.encryptKey} tunnelendpoint=${e.tunnelEndpoint ?? '0.0.0.0'}`,
          },
        ]),
      );
    }),
  );
  command.addCommand(
    mapCommand('get', 'the entry the datapath finds for an address (longest prefix)')
      .argument('<ip>')
      .action((ip: string, flags: MapFlags) => {
        const found = open(flags).lookup(ip);
        if (found === undefined) throw new Error(`no ipcache entry covers ${ip}`);
        print(io, flags, [found], () =>
          renderTable(
            [found],
            [
              { header: 'IDENTITY', value: (e) => e.identity },
              { header: 'ENCRYPT KEY', value: (e) => e.encryptKey },
              { header: 'TUNNEL ENDPOINT', value: (e) => e.tunnelEndpoint ?? '0.0.0.0' },
            ],
          ),
        );
      }),
  );
  command.addCommand(
    mapCommand('update', 'write an entry')
      .argument('<cidr>')
      .requiredOption('--identity <id>', 'security identity')
      .option('--tunnel-endpoint <ip>', 'IPv4 of the node to tunnel to')
      .option('--encrypt-key <n>', 'IPsec key index', '0')
      .action(
        (
          cidr: string,
          flags: MapFlags & { identity: string; tunnelEndpoint?: string; encryptKey: string },
        ) => {
          open(flags).upsert(cidr, {
            identity: parseInteger(flags.identity, '--identity', 0xffffffff),
            encryptKey: parseInteger(flags.encryptKey, '--encrypt-key', 255),
            ...(flags.tunnelEndpoint === undefined ? {} : { tunnelEndpoint: flags.tunnelEndpoint }),
          });
        },
      ),
  );
  command.addCommand(
    mapCommand('delete', 'delete an entry')
      .argument('<cidr>')
      .action((cidr: string, flags: MapFlags) => {
        if (!open(flags).delete(cidr)) throw new Error(`${cidr} is not in the ipcache`);
      }),
  );
  return command;
}

interface PolicyKeyFlags {
  identity: string;
  port: string;
  proto: string;
  egress?: boolean;
}

function policyKeyFrom(flags: PolicyKeyFlags): PolicyKey {
  return {
    sec_label: parseInteger(flags.identity, '--identity', 0xffffffff),
    dport: parseInteger(flags.port, '--port', 0xffff),
    protocol: parseProtocol(flags.proto),
    egress: flags.egress ? 1 : 0,
  };
}

function policyKeyOptions(command: Command): Command {
  return command
    .option('--identity <id>', 'remote identity (0 = any)', '0')
    .option('--port <port>', 'destination port (0 = any)', '0')
    .option('--proto <proto>', 'tcp, udp, sctp, icmp, any or a number', 'any')
    .option('--egress', 'egress entry (default ingress)');
}

/** The columns of `cilium bpf policy get`. */
const policyColumns: Array<Column<PolicyKey & PolicyEntry>> = [
  { header: 'POLICY', value: (r) => (r.deny ? 'Deny' : 'Allow') },
  { header: 'DIRECTION', value: (r) => (r.egress ? 'Egress' : 'Ingress') },
  { header: 'IDENTITY', value: (r) => r.sec_label },
  {
    header: 'PORT/PROTO',
    value: (r) => (r.dport === 0 && r.protocol === 0 ? 'ANY' : `${r.dport}/${protoName(r.protocol)}`),
  },
  { header: 'PROXY PORT', value: (r) => (r.proxy_port === 0 ? 'NONE' : r.proxy_port) },
  { header: 'BYTES', value: (r) => String(r.bytes) },
  { header: 'PACKETS', value: (r) => String(r.packets) },
];

function policyCommand(io: CliIo): Command {
  const command = new Command('policy').description(
    'cilium_policy_<endpoint>: per-endpoint policy (Cilium 1.12 layout)',
  );
  const open = (endpoint: string, flags: MapFlags) =>
    openPinned(policyMap(parseInteger(endpoint, 'endpoint ID', 0xffff)), flags.pinRoot);
  command.addCommand(
    mapCommand('list', 'list an endpoint’s policy entries')
      .argument('<endpoint-id>')
      .action((endpoint: string, flags: MapFlags) => {
        const rows = open(endpoint, flags)
          .entries()
          .map(([k, v]) => ({ ...k, ...v }));
        print(io, flags, rows, () => renderTable(rows, policyColumns));
      }),
  );
  command.addCommand(
    policyKeyOptions(mapCommand('get', 'show one entry'))
      .argument('<endpoint-id>')
      .action((endpoint: string, flags: MapFlags & PolicyKeyFlags) => {
        const key = policyKeyFrom(flags);
        const found = open(endpoint, flags).get(key);
        if (found === undefined) throw new Error('no such policy entry');
        const rows = [{ ...key, ...found }];
        print(io, flags, rows, () => renderTable(rows, policyColumns));
      }),
  );
  command.addCommand(
    policyKeyOptions(mapCommand('update', 'allow or deny'))
      .argument('<endpoint-id>')
      .option('--deny', 'deny instead of allow')
      .option('--proxy-port <port>', 'redirect to this L7 proxy port', '0')
      .action(
        (endpoint: string, flags: MapFlags & PolicyKeyFlags & { deny?: boolean; proxyPort: string }) => {
          open(endpoint, flags).set(policyKeyFrom(flags), {
            proxy_port: parseInteger(flags.proxyPort, '--proxy-port', 0xffff),
            deny: flags.deny ? 1 : 0,
            packets: 0n,
            bytes: 0n,
          });
        },
      ),
  );
  command.addCommand(
    policyKeyOptions(mapCommand('delete', 'delete an entry'))
      .argument('<endpoint-id>')
      .action((endpoint: string, flags: MapFlags & PolicyKeyFlags) => {
        if (!open(endpoint, flags).delete(policyKeyFrom(flags))) throw new Error('no such policy entry');
      }),
  );
  return command;
}

function lbCommand(io: CliIo): Command {
  const command = new Command('lb').description(
    'cilium_lb{4,6}_services_v2, _backends_v2, _reverse_nat: load balancing, IPv4 and IPv6',
  );
  command.addCommand(
    mapCommand('list', 'list services with their backends (like `cilium bpf lb list`)')
      .option('--revnat', 'list the reverse NAT entries instead')
      .option('--backends', 'list the backends instead')
      .action((flags: MapFlags & { revnat?: boolean; backends?: boolean }) => {
        if (flags.revnat) return listRevNat(io, flags);
        if (flags.backends) return listBackends(io, flags);
        const backendMaps = openFamilies([lb4BackendsMap(), lb6BackendsMap()], flags.pinRoot);
        const serviceMaps = openFamilies([lb4ServicesMap(), lb6ServicesMap()], flags.pinRoot);
        // Backend IDs are per family: each services map resolves slots in its own family's backends.
        const rows = serviceMaps.flatMap((services) => {
          const family = services.name.startsWith('cilium_lb6') ? 6 : 4;
          const backendMap = backendMaps.find((m) => m.name.startsWith(`cilium_lb${family}`));
          const backends = new Map(backendMap?.entries() ?? []);
          const none = family === 6 ? '[::]:0' : '0.0.0.0:0';
          return services
            .entries()
            .sort(
              ([a], [b]) =>
                hostPort(a.address, a.dport).localeCompare(hostPort(b.address, b.dport)) ||
                a.backend_slot - b.backend_slot,
            )
            .map(([k, v]) => {
              const backend = k.backend_slot === 0 ? undefined : backends.get(v.backend_id);
              const target =
                k.backend_slot === 0
                  ? `${none} (${v.rev_nat_index}) (0) [flags 0x${v.flags.toString(16)}, ${v.count} backends]`
                  : `${backend ? hostPort(backend.address, backend.port) : `backend ${v.backend_id} missing`} (${v.rev_nat_index}) (${k.backend_slot})`;
              return {
                service: `${hostPort(k.address, k.dport)}${k.scope === 1 ? '/i' : ''}`,
                slot: k.backend_slot,
                backend: target,
                key: k,
                value: v,
              };
            });
        });
        print(io, flags, rows, () =>
          renderTable(rows, [
            { header: 'SERVICE ADDRESS', value: (r) => r.service },
            { header: 'BACKEND ADDRESS (REVNAT_ID) (SLOT)', value: (r) => r.backend },
          ]),
        );
      }),
  );
  for (const sub of lbEntryCommands(io)) command.addCommand(sub);
  return command;
}

function listRevNat(io: CliIo, flags: MapFlags): void {
  const rows = openFamilies([lb4ReverseNatMap(), lb6ReverseNatMap()], flags.pinRoot).flatMap((map) =>
    map.entries().map(([id, v]) => ({ id, address: hostPort(v.address, v.port) })),
  );
  print(io, flags, rows, () =>
    renderTable(rows, [
      { header: 'ID', value: (r) => r.id },
      { header: 'BACKEND ADDRESS (REVNAT_ID) (SLOT)', value: (r) => r.address },
    ]),
  );
}

const backendStates = ['active', 'terminating', 'quarantined', 'maintenance'];

function listBackends(io: CliIo, flags: MapFlags): void {
  const rows = openFamilies([lb4BackendsMap(), lb6BackendsMap()], flags.pinRoot)
    .flatMap((map) =>
      map.entries().map(([id, v]) => ({
        id,
        address: hostPort(v.address, v.port),
        proto: protoName(v.proto),
        state: backendStates[v.flags] ?? String(v.flags),
      })),
    )
    .sort((a, b) => a.id - b.id);
  print(io, flags, rows, () =>
    renderTable(rows, [
      { header: 'BACKEND ID', value: (r) => r.id },
      { header: 'IP ADDRESS', value: (r) => r.address },
      { header: 'PROTOCOL', value: (r) => r.proto },
      { header: 'STATE', value: (r) => r.state },
    ]),
  );
}

function ctCommand(io: CliIo): Command {
  const command = new Command('ct').description(
    'cilium_ct{4,6}_global and cilium_ct_any{4,6}_global: connection tracking',
  );
  command.addCommand(
    mapCommand('list', 'list the connection tracking entries, IPv4 and IPv6').action((flags: MapFlags) => {
      const rows = [
        ...openFamilies([ct4TcpMap(), ct6TcpMap()], flags.pinRoot),
        ...openFamilies([ct4AnyMap(), ct6AnyMap()], flags.pinRoot),
      ].flatMap((map) => map.entries().map(([k, v]) => ({ map: map.name, ...k, ...v })));
      print(io, flags, rows, () => rows.map((r) => `${ctLine(r)}\n`).join(''));
    }),
  );
  for (const sub of ctTupleCommands(io)) command.addCommand(sub);
  command.addHelpText(
    'after',
    '\nThere is no `ct update`: the datapath creates and ages connections; editing them by hand is rarely useful.\n',
  );
  return command;
}

function natCommand(io: CliIo): Command {
  const command = new Command('nat').description(
    'cilium_snat_v4_external and cilium_snat_v6_external: SNAT translations',
  );
  command.addCommand(
    mapCommand('list', 'list the NAT entries, IPv4 and IPv6').action((flags: MapFlags) => {
      const rows = openFamilies<Ipv4CtTuple | Ipv6CtTuple, Ipv4NatEntry | Ipv6NatEntry>(
        [snat4Map(), snat6Map()],
        flags.pinRoot,
      ).flatMap((map) => map.entries().map(([k, v]) => ({ ...k, ...v })));
      print(io, flags, rows, () => rows.map((r) => `${natLine(r)}\n`).join(''));
    }),
  );
  for (const sub of natTupleCommands(io)) command.addCommand(sub);
  command.addHelpText(
    'after',
    '\nThere is no `nat update`: the datapath allocates translations with their connections.\n',
  );
  return command;
}

interface EgressRow {
  sourceIp: string;
  destinationCidr: string;
  egressIp: string;
  gatewayIp: string;
}

function egressRow(key: EgressGwPolicyKey, entry: EgressGwPolicyEntry): EgressRow {
  return {
    sourceIp: key.saddr,
    destinationCidr: egressGwPolicyKeyCidr(key),
    egressIp: entry.egress_ip,
    gatewayIp: entry.gateway_ip,
  };
}

const egressColumns: Array<Column<EgressRow>> = [
  { header: 'Source IP', value: (r) => r.sourceIp },
  { header: 'Destination CIDR', value: (r) => r.destinationCidr },
  { header: 'Egress IP', value: (r) => r.egressIp },
  { header: 'Gateway IP', value: (r) => r.gatewayIp },
];

function egressCommand(io: CliIo): Command {
  const command = new Command('egress').description('cilium_egress_gw_policy_v4: egress gateway policy');
  const open = (flags: MapFlags) => openPinned(egressPolicyMap(), flags.pinRoot);
  command.addCommand(
    mapCommand('list', 'list egress gateway entries').action((flags: MapFlags) => {
      const rows = open(flags)
        .entries()
        .map(([k, v]) => egressRow(k, v));
      print(io, flags, rows, () => renderTable(rows, egressColumns));
    }),
  );
  command.addCommand(
    mapCommand('get', 'show the entry of a source IP and destination CIDR')
      .argument('<source-ip>')
      .argument('<destination-cidr>')
      .action((source: string, cidr: string, flags: MapFlags) => {
        const key = egressGwPolicyKeyFor(source, cidr);
        const found = open(flags).get(key);
        if (found === undefined) throw new Error('no such egress entry');
        const rows = [egressRow(key, found)];
        print(io, flags, rows, () => renderTable(rows, egressColumns));
      }),
  );
  command.addCommand(
    mapCommand('update', 'write an entry')
      .argument('<source-ip>')
      .argument('<destination-cidr>')
      .requiredOption('--egress-ip <ip>', 'the IP to SNAT to')
      .requiredOption('--gateway-ip <ip>', 'the gateway node')
      .action((source: string, cidr: string, flags: MapFlags & { egressIp: string; gatewayIp: string }) => {
        open(flags).set(egressGwPolicyKeyFor(source, cidr), {
          egress_ip: flags.egressIp,
          gateway_ip: flags.gatewayIp,
        });
      }),
  );
  command.addCommand(
    mapCommand('delete', 'delete an entry')
      .argument('<source-ip>')
      .argument('<destination-cidr>')
      .action((source: string, cidr: string, flags: MapFlags) => {
        if (!open(flags).delete(egressGwPolicyKeyFor(source, cidr))) throw new Error('no such egress entry');
      }),
  );
  return command;
}

function tunnelRow(key: EndpointKey, value: EndpointKey): { prefix: string; endpoint: string; key: number } {
  return { prefix: key.ip, endpoint: value.ip, key: value.key };
}

const tunnelColumns: Array<Column<ReturnType<typeof tunnelRow>>> = [
  { header: 'TUNNEL', value: (r) => `${r.prefix}:0` },
  { header: 'VALUE', value: (r) => `${r.endpoint}:0` },
];

function tunnelCommand(io: CliIo): Command {
  const command = new Command('tunnel').description('cilium_tunnel_map: pod CIDR base address to node IP');
  const open = (flags: MapFlags) => openPinned(tunnelMap(), flags.pinRoot);
  command.addCommand(
    mapCommand('list', 'list tunnel endpoints').action((flags: MapFlags) => {
      const rows = open(flags)
        .entries()
        .map(([k, v]) => tunnelRow(k, v));
      print(io, flags, rows, () => renderTable(rows, tunnelColumns));
    }),
  );
  command.addCommand(
    mapCommand('get', 'show the node of a pod CIDR base address')
      .argument('<prefix-ip>')
      .action((prefix: string, flags: MapFlags) => {
        const key = endpointKeyFor(prefix);
        const found = open(flags).get(key);
        if (found === undefined) throw new Error(`${prefix} is not in the tunnel map`);
        const rows = [tunnelRow(key, found)];
        print(io, flags, rows, () => renderTable(rows, tunnelColumns));
      }),
  );
  command.addCommand(
    mapCommand('update', 'write an entry')
      .argument('<prefix-ip>')
      .argument('<endpoint-ip>')
      .option('--encrypt-key <n>', 'IPsec key index', '0')
      .action((prefix: string, endpoint: string, flags: MapFlags & { encryptKey: string }) => {
        open(flags).set(
          endpointKeyFor(prefix),
          endpointKeyFor(endpoint, parseInteger(flags.encryptKey, '--encrypt-key', 255)),
        );
      }),
  );
  command.addCommand(
    mapCommand('delete', 'delete an entry')
      .argument('<prefix-ip>')
      .action((prefix: string, flags: MapFlags) => {
        if (!open(flags).delete(endpointKeyFor(prefix)))
          throw new Error(`${prefix} is not in the tunnel map`);
      }),
  );
  return command;
}

/** `LOCAL ENDPOINT INFO` as `cilium bpf endpoint list` prints it. */
function endpointInfoText(info: EndpointInfo): string {
  return info.flags & EndpointFlags.Host
    ? '(localhost)'
    : `id=${info.lxc_id} flags=0x${info.flags.toString(16).padStart(4, '0')} ifindex=${info.ifindex} mac=${info.mac.toUpperCase()} nodemac=${info.node_mac.toUpperCase()}`;
}

const endpointColumns: Array<Column<{ ip: string } & EndpointInfo>> = [
  { header: 'IP ADDRESS', value: (r) => `${r.ip}:0` },
  { header: 'LOCAL ENDPOINT INFO', value: endpointInfoText },
];

function parseMac(text: string, what: string): string {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text))
    throw new Error(`invalid ${what} "${text}": use six hex bytes like 0a:1b:2c:3d:4e:5f`);
  return text.toLowerCase();
}

interface EndpointUpdateFlags extends MapFlags {
  ifindex: string;
  lxcId: string;
  flags: string;
  mac: string;
  nodeMac: string;
}

function endpointCommand(io: CliIo): Command {
  const command = new Command('endpoint').description('cilium_lxc: local endpoints');
  const open = (flags: MapFlags) => openPinned(lxcMap(), flags.pinRoot);
  command.addCommand(
    mapCommand('list', 'list local endpoints').action((flags: MapFlags) => {
      const rows = open(flags)
        .entries()
        .map(([k, v]) => ({ ip: k.ip, ...v }));
      print(io, flags, rows, () => renderTable(rows, endpointColumns));
    }),
  );
  command.addCommand(
    mapCommand('get', 'show the endpoint of an IP')
      .argument('<ip>')
      .action((ip: string, flags: MapFlags) => {
        const key = endpointKeyFor(ip);
        const found = open(flags).get(key);
        if (found === undefined) throw new Error(`${ip} is not a local endpoint`);
        const rows = [{ ip: key.ip, ...found }];
        print(io, flags, rows, () => renderTable(rows, endpointColumns));
      }),
  );
  command.addCommand(
    mapCommand('update', 'write an endpoint')
      .argument('<ip>')
      .option('--ifindex <n>', 'ifindex of the host-side veth', '0')
      .option('--lxc-id <n>', 'endpoint ID', '0')
      .option('--flags <n>', 'endpoint_info.flags (1 = host endpoint)', '0')
      .option('--mac <mac>', 'MAC of the endpoint', '00:00:00:00:00:00')
      .option('--node-mac <mac>', 'MAC of the host-side veth', '00:00:00:00:00:00')
      .action((ip: string, flags: EndpointUpdateFlags) => {
        open(flags).set(endpointKeyFor(ip), {
          ifindex: parseInteger(flags.ifindex, '--ifindex', 0xffffffff),
          lxc_id: parseInteger(flags.lxcId, '--lxc-id', 0xffff),
          flags: parseFlagsValue(flags.flags, '--flags', 0xffffffff),
          mac: parseMac(flags.mac, '--mac'),
          node_mac: parseMac(flags.nodeMac, '--node-mac'),
        });
      }),
  );
  command.addCommand(
    mapCommand('delete', 'delete an endpoint')
      .argument('<ip>')
      .action((ip: string, flags: MapFlags) => {
        if (!open(flags).delete(endpointKeyFor(ip))) throw new Error(`${ip} is not a local endpoint`);
      }),
  );
  return command;
}

const metricsDirections = ['UNKNOWN', 'INGRESS', 'EGRESS', 'SERVICE'];

function parseDirection(text: string): number {
  const index = metricsDirections.indexOf(text.toUpperCase());
  return index >= 0 ? index : parseInteger(text, '--direction', 3);
}

/** One counter row, summed over CPUs as `cilium bpf metrics list` does. */
function metricsRow(key: MetricsKey, values: readonly MetricsValue[]) {
  const sum = sumMetrics(values);
  return {
    reason: key.reason,
    reasonText: key.reason === 0 ? 'Forwarded' : dropReasonText(key.reason),
    direction: metricsDirections[key.dir] ?? String(key.dir),
    packets: sum.count,
    bytes: sum.bytes,
  };
}

const metricsColumns: Array<Column<ReturnType<typeof metricsRow>>> = [
  { header: 'REASON', value: (r) => r.reasonText },
  { header: 'DIRECTION', value: (r) => r.direction },
  { header: 'PACKETS', value: (r) => String(r.packets) },
  { header: 'BYTES', value: (r) => String(r.bytes) },
];

function metricsCommand(io: CliIo): Command {
  const command = new Command('metrics').description(
    'cilium_metrics: forward and drop counters (per-CPU, summed; read-only: the datapath owns the counters)',
  );
  const open = (flags: MapFlags) =>
    PerCpuTypedMap.openPinned(new KernelBackend(), metricsMap(), flags.pinRoot);
  command.addCommand(
    mapCommand('list', 'list counters').action((flags: MapFlags) => {
      const rows = open(flags)
        .entries()
        .map(([k, values]) => metricsRow(k, values));
      print(io, flags, rows, () => renderTable(rows, metricsColumns));
    }),
  );
  command.addCommand(
    mapCommand('get', 'show one counter, summed over CPUs')
      .argument('<reason>', 'drop reason code (0 = forwarded)')
      .option('--direction <dir>', 'ingress, egress, service, unknown or 0..3', 'ingress')
      .action((reason: string, flags: MapFlags & { direction: string }) => {
        const key = { reason: parseInteger(reason, 'reason', 255), dir: parseDirection(flags.direction) };
        const values = open(flags).get(key);
        if (values === undefined)
          throw new Error(`no counter for reason ${key.reason} direction ${metricsDirections[key.dir]}`);
        const rows = [metricsRow(key, values)];
        print(io, flags, rows, () => renderTable(rows, metricsColumns));
      }),
  );
  return command;
}

/** Parses `IP:PORT[/PROTO][,WEIGHT]` (IPv6 as `[IP]:PORT`). */
function parseMaglevBackend(text: string, id: number): MaglevBackend {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)(?:\/([A-Za-z]+))?(?:,(\d+))?$/.exec(text);
  if (!match) throw new Error(`invalid --backend "${text}": use IP:PORT[/PROTO][,WEIGHT]`);
  const [, v6, v4, port, proto, weight] = match;
  return {
    id,
    address: v6 ?? v4 ?? '',
    port: parseInteger(port ?? '', '--backend port', 0xffff),
    protocol: (proto ?? 'TCP').toUpperCase(),
    ...(weight === undefined ? {} : { weight: parseInteger(weight, '--backend weight', 0xffff) }),
  };
}

function maglevCommand(io: CliIo): Command {
  return new Command('maglev')
    .description("compute a service's Maglev lookup table as Cilium does")
    .option(
      '--table-size <m>',
      'table size M (a prime from Cilium’s list)',
      String(DEFAULT_MAGLEV_TABLE_SIZE),
    )
    .option('--backend <addr...>', 'IP:PORT[/PROTO][,WEIGHT], repeatable; IDs follow the order given')
    .option('--first-id <n>', 'ID of the first backend', '1')
    .option('--seed <base64>', 'hash seed (12 bytes, base64)', DEFAULT_MAGLEV_SEED)
    .addOption(
      new Option('--naming <version>', 'backend names to hash').choices(['1.12', 'current']).default('1.12'),
    )
    .addOption(outputOption())
    .action(
      (flags: {
        tableSize: string;
        backend?: string[];
        firstId: string;
        seed: string;
        naming: MaglevNaming;
        output: OutputFormat;
      }) => {
        const first = parseInteger(flags.firstId, '--first-id', 0xffffffff);
        const backends = (flags.backend ?? []).map((text, i) => parseMaglevBackend(text, first + i));
        if (backends.length === 0) throw new Error('give at least one --backend');
        const tableSize = parseInteger(flags.tableSize, '--table-size', 0xffffffff);
        const table = maglevTable(backends, { tableSize, seed: flags.seed, naming: flags.naming });
        const rows = backends.map((b) => ({
          id: b.id,
          name: maglevBackendName(b, flags.naming),
          weight: b.weight ?? 1,
          slots: table.filter((x) => x === b.id).length,
        }));
        if (flags.output === 'json') {
          io.stdout(
            renderJson({
              tableSize,
              naming: flags.naming,
              seed: flags.seed,
              backends: rows,
              table: Array.from(table),
            }),
          );
          return;
        }
        io.stdout(
          renderTable(rows, [
            { header: 'ID', value: (r) => r.id },
            { header: 'HASHED NAME', value: (r) => r.name },
            { header: 'WEIGHT', value: (r) => r.weight },
            { header: 'SLOTS', value: (r) => r.slots },
          ]) + `\nLUT (id(run length), M=${tableSize}):\n${runLengthEncode(table)}\n`,
        );
      },
    );
}

/** Applies the CLI's error handling and output to a command tree built with addCommand. */
function inheritSettings(command: Command, io: CliIo): Command {
  for (const sub of command.commands) {
    sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    inheritSettings(sub, io);
  }
  return command;
}

/** `ciliary bpf ...`: Cilium's pinned BPF maps, as `cilium bpf ...` shows them. */
export function bpfCommand(io: CliIo): Command {
  const bpf = new Command('bpf').description(
    "inspect and edit Cilium 1.12's pinned BPF maps, compute Maglev tables",
  );
  for (const sub of [
    ipcacheCommand(io),
    policyCommand(io),
    lbCommand(io),
    ctCommand(io),
    natCommand(io),
    egressCommand(io),
    tunnelCommand(io),
    endpointCommand(io),
    metricsCommand(io),
    maglevCommand(io),
  ])
    bpf.addCommand(sub);
  return inheritSettings(bpf, io);
}
