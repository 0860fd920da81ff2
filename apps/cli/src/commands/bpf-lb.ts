import { Command } from 'commander';
import {
  lb4BackendsMap,
  lb4ReverseNatMap,
  lb4ServicesMap,
  lb6BackendsMap,
  lb6ReverseNatMap,
  lb6ServicesMap,
  ServiceScope,
  type Lb4Backend,
  type Lb4Key,
  type Lb4ReverseNat,
  type Lb4Service,
  type TypedMap,
} from '@ciliary/ebpf-maps';
import type { CliIo } from '../io';
import { renderTable, type Column } from '../output';
import {
  hostPort,
  mapCommand,
  openFamilies,
  openPinned,
  parseFlagsValue,
  parseHostPort,
  parseInteger,
  parseProtocol,
  print,
  protoName,
  type MapFlags,
} from './bpf-helpers';

// Editing cilium_lb{4,6}_services_v2, _backends_v2 and _reverse_nat entry by entry. The IPv4 and
// IPv6 maps share one shape; the address picks the family, IDs are looked up in both.

const isIpv6 = (address: string): boolean => address.includes(':');

function servicesMap(address: string, pinRoot: string): TypedMap<Lb4Key, Lb4Service> {
  return openPinned(isIpv6(address) ? lb6ServicesMap() : lb4ServicesMap(), pinRoot);
}

interface ServiceKeyFlags extends MapFlags {
  internal?: boolean;
}

function serviceKey(
  frontend: { address: string; port: number },
  slot: number,
  flags: ServiceKeyFlags,
): Lb4Key {
  return {
    address: frontend.address,
    dport: frontend.port,
    backend_slot: slot,
    proto: 0,
    scope: flags.internal ? ServiceScope.Internal : ServiceScope.External,
  };
}

const serviceColumns: Array<Column<{ key: Lb4Key; value: Lb4Service }>> = [
  {
    header: 'SERVICE ADDRESS',
    value: (r) => `${hostPort(r.key.address, r.key.dport)}${r.key.scope ? '/i' : ''}`,
  },
  { header: 'SLOT', value: (r) => r.key.backend_slot },
  { header: 'BACKEND ID', value: (r) => r.value.backend_id },
  { header: 'COUNT', value: (r) => r.value.count },
  { header: 'REVNAT_ID', value: (r) => r.value.rev_nat_index },
  { header: 'FLAGS', value: (r) => `0x${r.value.flags.toString(16)}` },
  { header: 'FLAGS2', value: (r) => `0x${r.value.flags2.toString(16)}` },
];

interface ServiceUpdateFlags extends ServiceKeyFlags {
  slot: string;
  backendId: string;
  count: string;
  revNatIndex: string;
  flags: string;
  flags2: string;
}

function lbServiceCommand(io: CliIo): Command {
  const command = new Command('service').description(
    'cilium_lb{4,6}_services_v2: a frontend’s master entry (slot 0) and backend slots',
  );
  const internal = (c: Command): Command => c.option('--internal', 'the internal-scope entry (/i)');
  command.addCommand(
    internal(mapCommand('get', 'show a service’s master entry and its backend slots'))
      .argument('<frontend>', 'IP:PORT ([IP]:PORT for IPv6)')
      .action((text: string, flags: ServiceKeyFlags) => {
        const frontend = parseHostPort(text, 'frontend');
        const map = servicesMap(frontend.address, flags.pinRoot);
        const master = map.get(serviceKey(frontend, 0, flags));
        if (master === undefined) throw new Error(`no service ${text}`);
        const rows = [{ key: serviceKey(frontend, 0, flags), value: master }];
        for (let slot = 1; slot <= master.count; slot++) {
          const key = serviceKey(frontend, slot, flags);
          const value = map.get(key);
          if (value !== undefined) rows.push({ key, value });
        }
        print(io, flags, rows, () => renderTable(rows, serviceColumns));
      }),
  );
  command.addCommand(
    internal(mapCommand('update', 'write one entry: the master (slot 0) or a backend slot'))
      .argument('<frontend>', 'IP:PORT ([IP]:PORT for IPv6)')
      .option('--slot <n>', '0 = master entry, 1..count = backend slots', '0')
      .option('--backend-id <id>', 'backend ID (slots); affinity timeout or L7 proxy port (master)', '0')
      .option('--count <n>', 'number of backend slots (master)', '0')
      .option('--rev-nat-index <n>', 'reverse NAT index', '0')
      .option('--flags <n>', 'SVC_FLAG_* bits, decimal or 0x', '0')
      .option('--flags2 <n>', 'second flags byte, decimal or 0x', '0')
      .action((text: string, flags: ServiceUpdateFlags) => {
        const frontend = parseHostPort(text, 'frontend');
        servicesMap(frontend.address, flags.pinRoot).set(
          serviceKey(frontend, parseInteger(flags.slot, '--slot', 0xffff), flags),
          {
            backend_id: parseInteger(flags.backendId, '--backend-id', 0xffffffff),
            count: parseInteger(flags.count, '--count', 0xffff),
            rev_nat_index: parseInteger(flags.revNatIndex, '--rev-nat-index', 0xffff),
            flags: parseFlagsValue(flags.flags, '--flags', 0xff),
            flags2: parseFlagsValue(flags.flags2, '--flags2', 0xff),
          },
        );
      }),
  );
  command.addCommand(
    internal(mapCommand('delete', 'delete one slot, or without --slot the master entry and all its slots'))
      .argument('<frontend>', 'IP:PORT ([IP]:PORT for IPv6)')
      .option('--slot <n>', 'only this slot')
      .action((text: string, flags: ServiceKeyFlags & { slot?: string }) => {
        const frontend = parseHostPort(text, 'frontend');
        const map = servicesMap(frontend.address, flags.pinRoot);
        if (flags.slot !== undefined) {
          const slot = parseInteger(flags.slot, '--slot', 0xffff);
          if (!map.delete(serviceKey(frontend, slot, flags)))
            throw new Error(`no slot ${slot} of service ${text}`);
          return;
        }
        const master = map.get(serviceKey(frontend, 0, flags));
        if (master === undefined) throw new Error(`no service ${text}`);
        // Slots first, so the datapath never sees a master entry pointing at missing slots.
        for (let slot = master.count; slot >= 1; slot--) map.delete(serviceKey(frontend, slot, flags));
        map.delete(serviceKey(frontend, 0, flags));
      }),
  );
  return command;
}

const backendStates = ['active', 'terminating', 'quarantined', 'maintenance'];

function parseBackendState(text: string): number {
  const index = backendStates.indexOf(text.toLowerCase());
  return index >= 0 ? index : parseInteger(text, '--state', 0xff);
}

const backendColumns: Array<Column<{ id: number } & Lb4Backend>> = [
  { header: 'BACKEND ID', value: (r) => r.id },
  { header: 'IP ADDRESS', value: (r) => hostPort(r.address, r.port) },
  { header: 'PROTOCOL', value: (r) => protoName(r.proto) },
  { header: 'STATE', value: (r) => backendStates[r.flags] ?? String(r.flags) },
];

/** Entries for an ID in each pinned family's map (an ID may be in the IPv4 map, the IPv6 one, or both). */
function findById<V>(maps: Array<TypedMap<number, V>>, id: number): Array<{ id: number } & V> {
  return maps.flatMap((map) => {
    const value = map.get(id);
    return value === undefined ? [] : [{ id, ...value }];
  });
}

function deleteById<V>(maps: Array<TypedMap<number, V>>, id: number, what: string): void {
  const deleted = maps.filter((map) => map.delete(id)).length;
  if (deleted === 0) throw new Error(`no ${what} ${id}`);
}

function lbBackendCommand(io: CliIo): Command {
  const command = new Command('backend').description('cilium_lb{4,6}_backends_v2: backend ID to IP:PORT');
  const all = (flags: MapFlags) => openFamilies([lb4BackendsMap(), lb6BackendsMap()], flags.pinRoot);
  const id = (text: string) => parseInteger(text, 'backend ID', 0xffffffff);
  command.addCommand(
    mapCommand('get', 'show a backend')
      .argument('<id>')
      .action((text: string, flags: MapFlags) => {
        const rows = findById(all(flags), id(text));
        if (rows.length === 0) throw new Error(`no backend ${text}`);
        print(io, flags, rows, () => renderTable(rows, backendColumns));
      }),
  );
  command.addCommand(
    mapCommand('update', 'write a backend')
      .argument('<id>')
      .argument('<address>', 'IP:PORT ([IP]:PORT for IPv6)')
      .option('--proto <proto>', 'tcp, udp, sctp or a number (Cilium 1.12 writes 0)', 'any')
      .option('--state <state>', 'active, terminating, quarantined, maintenance or a number', 'active')
      .action((text: string, addressText: string, flags: MapFlags & { proto: string; state: string }) => {
        const address = parseHostPort(addressText, 'backend address');
        const map = openPinned(isIpv6(address.address) ? lb6BackendsMap() : lb4BackendsMap(), flags.pinRoot);
        map.set(id(text), {
          ...address,
          proto: parseProtocol(flags.proto),
          flags: parseBackendState(flags.state),
        });
      }),
  );
  command.addCommand(
    mapCommand('delete', 'delete a backend')
      .argument('<id>')
      .action((text: string, flags: MapFlags) => deleteById(all(flags), id(text), 'backend')),
  );
  return command;
}

const revNatColumns: Array<Column<{ id: number } & Lb4ReverseNat>> = [
  { header: 'ID', value: (r) => r.id },
  { header: 'ADDRESS', value: (r) => hostPort(r.address, r.port) },
];

function lbRevNatCommand(io: CliIo): Command {
  const command = new Command('revnat').description(
    'cilium_lb{4,6}_reverse_nat: reverse NAT index to the service frontend',
  );
  const all = (flags: MapFlags) => openFamilies([lb4ReverseNatMap(), lb6ReverseNatMap()], flags.pinRoot);
  const id = (text: string) => parseInteger(text, 'reverse NAT index', 0xffff);
  command.addCommand(
    mapCommand('get', 'show a reverse NAT entry')
      .argument('<index>')
      .action((text: string, flags: MapFlags) => {
        const rows = findById(all(flags), id(text));
        if (rows.length === 0) throw new Error(`no reverse NAT entry ${text}`);
        print(io, flags, rows, () => renderTable(rows, revNatColumns));
      }),
  );
  command.addCommand(
    mapCommand('update', 'write a reverse NAT entry')
      .argument('<index>')
      .argument('<frontend>', 'IP:PORT ([IP]:PORT for IPv6)')
      .action((text: string, frontendText: string, flags: MapFlags) => {
        const frontend = parseHostPort(frontendText, 'frontend');
        const map = openPinned(
          isIpv6(frontend.address) ? lb6ReverseNatMap() : lb4ReverseNatMap(),
          flags.pinRoot,
        );
        map.set(id(text), frontend);
      }),
  );
  command.addCommand(
    mapCommand('delete', 'delete a reverse NAT entry')
      .argument('<index>')
      .action((text: string, flags: MapFlags) => deleteById(all(flags), id(text), 'reverse NAT entry')),
  );
  return command;
}

/** `lb service|backend|revnat get|update|delete`: enough to write any load-balancing entry by hand. */
export function lbEntryCommands(io: CliIo): Command[] {
  return [lbServiceCommand(io), lbBackendCommand(io), lbRevNatCommand(io)];
}
