import type { Issue, KubeObject } from '@ciliary/core';
import { isRecord } from '../util';
import { parseLabelSelector, type LabelSelector } from './label-selector';

/** The controller name Cilium's Gateway API implementation answers to. */
export const CILIUM_GATEWAY_CONTROLLER = 'io.cilium/gateway-controller';

export interface CertificateRef {
  readonly namespace: string;
  readonly name: string;
}

export interface GatewayListener {
  readonly name: string;
  readonly hostname?: string;
  readonly port: number;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly certificateRefs: readonly CertificateRef[];
  /** Which namespaces' routes may attach: the Gateway's, all, or those whose labels a selector matches. */
  readonly allowedNamespaces: 'Same' | 'All' | { readonly selector: LabelSelector };
  readonly allowedKinds: readonly string[];
}

export interface Gateway {
  readonly namespace: string;
  readonly name: string;
  readonly document: string;
  readonly className: string;
  readonly listeners: readonly GatewayListener[];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Validates a Gateway; every problem is reported with its path. */
export function parseGateway(object: KubeObject, document: string, issues: Issue[]): Gateway | undefined {
  const before = issues.length;
  const problem = (path: string, message: string): void => void issues.push({ document, path, message });
  const namespace = object.metadata.namespace ?? 'default';
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const className = str(spec['gatewayClassName']);
  if (!className) problem('/spec/gatewayClassName', 'is required');
  const raw = Array.isArray(spec['listeners']) ? spec['listeners'] : [];
  if (raw.length === 0) problem('/spec/listeners', 'must have at least 1 item');
  const listeners = raw.flatMap((item: unknown, i) => {
    const path = `/spec/listeners/${i}`;
    const l = isRecord(item) ? item : {};
    const name = str(l['name']);
    const port = l['port'];
    const protocol = l['protocol'];
    if (!name) problem(`${path}/name`, 'is required');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
      problem(`${path}/port`, 'must be a port number from 1 to 65535');
    if (protocol !== 'HTTP' && protocol !== 'HTTPS')
      problem(`${path}/protocol`, `${String(protocol)} is not supported (HTTP or HTTPS)`);
    const tls = isRecord(l['tls']) ? l['tls'] : {};
    const refs = (Array.isArray(tls['certificateRefs']) ? tls['certificateRefs'] : []).filter(isRecord);
    if (protocol === 'HTTPS' && refs.length === 0)
      problem(`${path}/tls/certificateRefs`, 'an HTTPS listener needs a certificate');
    const allowed = isRecord(l['allowedRoutes']) ? l['allowedRoutes'] : {};
    const namespaces = isRecord(allowed['namespaces']) ? allowed['namespaces'] : {};
    const from = str(namespaces['from']) ?? 'Same';
    if (from !== 'Same' && from !== 'All' && from !== 'Selector')
      problem(`${path}/allowedRoutes/namespaces/from`, `${from} is not Same, All or Selector`);
    const selector =
      from === 'Selector'
        ? parseLabelSelector(
            namespaces['selector'],
            document,
            `${path}/allowedRoutes/namespaces/selector`,
            issues,
          )
        : undefined;
    const kinds = (Array.isArray(allowed['kinds']) ? allowed['kinds'] : [])
      .filter(isRecord)
      .map((k) => String(k['kind']));
    const hostname = str(l['hostname']);
    if (!name || typeof port !== 'number' || (protocol !== 'HTTP' && protocol !== 'HTTPS')) return [];
    return [
      {
        name,
        port,
        protocol,
        ...(hostname !== undefined ? { hostname } : {}),
        certificateRefs: refs.map((r) => ({
          namespace: str(r['namespace']) ?? namespace,
          name: String(r['name']),
        })),
        allowedNamespaces: selector ? { selector } : from === 'All' ? 'All' : 'Same',
        allowedKinds: kinds.length > 0 ? kinds : ['HTTPRoute', 'GRPCRoute'],
      } satisfies GatewayListener,
    ];
  });
  if (issues.length > before) return undefined;
  return { namespace, name: object.metadata.name ?? '', document, className: className ?? '', listeners };
}

/** The names of GatewayClasses this implementation controls. */
export function ownedGatewayClasses(
  classes: readonly KubeObject[],
  controller = CILIUM_GATEWAY_CONTROLLER,
): Set<string> {
  return new Set(
    classes
      .filter((c) => isRecord(c['spec']) && c['spec']['controllerName'] === controller)
      .map((c) => c.metadata.name ?? ''),
  );
}
