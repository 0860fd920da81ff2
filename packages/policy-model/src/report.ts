/**
 * Plain-JSON views of the engine's answers, shared by the command line and
 * the agent's API so both print the same shapes.
 */
import type { PolicyEngine } from './engine';
import { formatLabel } from './labels';
import { formatKeyPort, protocolName } from './map-state';
import type { Direction } from './rule';
import { formatFlow, type Flow, type FlowVerdict } from './verdict';

export interface MapEntryReport {
  readonly identity: number;
  readonly labels: readonly string[];
  readonly direction: Direction;
  readonly protocol: string;
  readonly port: number;
  readonly endPort?: number;
  /** `80/TCP`, `8000-8080/UDP`, `TCP` (all ports), `ANY`. */
  readonly portProtocol: string;
  readonly policy: 'allow' | 'deny';
  /** The L7 parser of a proxy redirect, or null. */
  readonly redirect: string | null;
  readonly derivedFrom: readonly string[];
}

export interface EndpointMapReport {
  readonly endpoint: string;
  readonly identity: number;
  readonly labels: readonly string[];
  readonly ingressEnforced: boolean;
  readonly egressEnforced: boolean;
  readonly entries: readonly MapEntryReport[];
  /** Merge conflicts met while resolving the endpoint's policy. */
  readonly problems: readonly string[];
}

export interface IdentityReport {
  readonly id: number;
  readonly labels: readonly string[];
}

export interface DirectionVerdictReport {
  readonly enforced: boolean;
  readonly decision: 'allowed' | 'denied' | 'redirected';
  readonly rules: readonly string[];
}

export interface VerdictReport {
  readonly flow: string;
  readonly verdict: 'allowed' | 'denied';
  readonly egress: DirectionVerdictReport;
  readonly ingress: DirectionVerdictReport;
}

/** The map state of one endpoint, sorted, each entry with its identity's labels. Undefined if unknown. */
export function endpointMapReport(engine: PolicyEngine, key: string): EndpointMapReport | undefined {
  const endpoint = engine.endpoint(key);
  if (!endpoint?.mapState) return undefined;
  const labelsOf = (id: number): string[] =>
    id === 0 ? [] : (engine.identity(id)?.labels.labels.map(formatLabel) ?? []);
  return {
    endpoint: key,
    identity: endpoint.identity.id,
    labels: endpoint.identity.labels.labels.map(formatLabel),
    ingressEnforced: endpoint.policy?.ingress.enforced ?? false,
    egressEnforced: endpoint.policy?.egress.enforced ?? false,
    entries: endpoint.mapState.entries.map(({ key: k, value }): MapEntryReport => ({
      identity: k.identity,
      labels: labelsOf(k.identity),
      direction: k.direction,
      protocol: protocolName(k.protocol),
      port: k.port,
      ...(k.endPort !== undefined ? { endPort: k.endPort } : {}),
      portProtocol: formatKeyPort(k),
      policy: value.deny ? 'deny' : 'allow',
      redirect: value.redirect ?? null,
      derivedFrom: value.derivedFrom,
    })),
    problems: endpoint.policy?.problems ?? [],
  };
}

export function identityReports(engine: PolicyEngine): IdentityReport[] {
  return engine.identities().map((i) => ({ id: i.id, labels: i.labels.labels.map(formatLabel) }));
}

export function verdictReport(flow: Flow, verdict: FlowVerdict): VerdictReport {
  const side = (v: FlowVerdict['egress']): DirectionVerdictReport => ({
    enforced: v.enforced,
    decision: v.decision,
    rules: v.rules,
  });
  return {
    flow: formatFlow(flow),
    verdict: verdict.verdict,
    egress: side(verdict.egress),
    ingress: side(verdict.ingress),
  };
}
