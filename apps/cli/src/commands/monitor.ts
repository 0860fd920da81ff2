import { Command, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET } from '@ciliary/agent/api';
import { ApiClient, streamJson } from '@ciliary/daemon';
import { formatMonitorEvent, type EndpointStatus, type MonitorEvent } from '@ciliary/datapath';
import type { CliIo } from '../io';

/** Resolves when the user stops the stream (Ctrl-C) or the agent closes it. */
function follow(socket: string, pathname: string, onEvent: (event: MonitorEvent) => void): Promise<void> {
  const stream = streamJson<MonitorEvent>(socket, pathname, onEvent);
  const stop = (): void => stream.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return stream.done.finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
}

/** `ciliary monitor`: the datapath's notifications as they happen, like `cilium monitor`. */
export function monitorCommand(io: CliIo): Command {
  return new Command('monitor')
    .description("stream the datapath's drop, trace and policy-verdict notifications")
    .addOption(
      new Option('--type <type>', 'only this kind of notification').choices(['drop', 'trace', 'verdict']),
    )
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: { type?: string; apiSocket: string; output: string }) => {
      const query = flags.type ? `?type=${flags.type}` : '';
      if (flags.output === 'text') io.stdout('Listening for events... Press Ctrl-C to quit\n');
      await follow(flags.apiSocket, `/v1/monitor${query}`, (event) =>
        io.stdout(flags.output === 'json' ? `${JSON.stringify(event)}\n` : `${formatMonitorEvent(event)}\n`),
      );
    });
}

interface Flow {
  readonly time: string;
  readonly verdict: 'FORWARDED' | 'DROPPED';
  readonly dropReason?: string;
  readonly source: { readonly ip?: string; readonly pod?: string; readonly identity: number };
  readonly destination: { readonly ip?: string; readonly pod?: string; readonly identity: number };
  readonly protocol: string;
  readonly summary: string;
}

/** `ciliary observe`: flows with pod names and identities, in the spirit of Hubble. */
export function observeCommand(io: CliIo): Command {
  return new Command('observe')
    .description('stream flows with pod names and identities (drops and new connections)')
    .option('--pod <namespace/pod>', 'only flows from or to this pod')
    .addOption(
      new Option('--verdict <verdict>', 'only flows with this verdict').choices(['DROPPED', 'FORWARDED']),
    )
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['compact', 'json']).default('compact'),
    )
    .action(async (flags: { pod?: string; verdict?: string; apiSocket: string; output: string }) => {
      const client = new ApiClient(flags.apiSocket);
      let byIp = await podsByIp(client);
      let refreshedAt = Date.now();
      await follow(flags.apiSocket, '/v1/monitor', (event) => {
        if (Date.now() - refreshedAt > 2_000) {
          refreshedAt = Date.now();
          void podsByIp(client).then((m) => (byIp = m));
        }
        const flow = toFlow(event, byIp);
        if (!flow) return;
        if (flags.verdict && flow.verdict !== flags.verdict) return;
        if (flags.pod && flow.source.pod !== flags.pod && flow.destination.pod !== flags.pod) return;
        io.stdout(flags.output === 'json' ? `${JSON.stringify({ flow })}\n` : `${compactFlow(flow)}\n`);
      });
    });
}

async function podsByIp(client: ApiClient): Promise<Map<string, string>> {
  const endpoints = await client.get<EndpointStatus[]>('/v1/endpoint').catch(() => []);
  return new Map(endpoints.map((e) => [e.ipv4, `${e.namespace}/${e.pod}`]));
}

/** Drops and connection-creating traces are flows; verdict notifications and repeated traces are not. */
function toFlow(event: MonitorEvent, pods: Map<string, string>): Flow | undefined {
  const forwarded = event.type === 'trace' && event.state === 'new';
  if (event.type !== 'drop' && !forwarded) return undefined;
  const { src, dst } = event.packet;
  const peer = (ip: string | undefined, identity: number): Flow['source'] => {
    const pod = ip === undefined ? undefined : pods.get(ip);
    return { ...(ip ? { ip } : {}), ...(pod ? { pod } : {}), identity };
  };
  return {
    time: new Date().toISOString(),
    verdict: event.type === 'drop' ? 'DROPPED' : 'FORWARDED',
    ...(event.type === 'drop' ? { dropReason: event.reasonText ?? String(event.reason) } : {}),
    source: peer(src, event.srcIdentity),
    destination: peer(dst, event.dstIdentity),
    protocol: protocolName(event.packet.protocol),
    summary: event.packet.text,
  };
}

function protocolName(protocol: number | undefined): string {
  return protocol === 6
    ? 'TCP'
    : protocol === 17
      ? 'UDP'
      : protocol === 1
        ? 'ICMPv4'
        : String(protocol ?? '?');
}

function compactFlow(flow: Flow): string {
  const side = (p: Flow['source']): string =>
    `${p.pod ? `${p.pod} (${p.ip})` : (p.ip ?? '?')} (ID:${p.identity})`;
  const reason = flow.dropReason ? ` (${flow.dropReason})` : '';
  return `${flow.time}: ${side(flow.source)} -> ${side(flow.destination)} ${flow.protocol} ${flow.verdict}${reason} ${flow.summary}`;
}
