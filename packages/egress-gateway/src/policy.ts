import { failed, ok, type Issue, type Result } from '@ciliary/core';
import { FAILOVER_ANNOTATION, type EgressPolicyKind, type EgressRule, type LabelSelector } from './api-types';
import { ipv4ToNumber, parseIpv4Cidr } from './ipv4';
import { checkLabelSelector, escapePointer, isRecord, type Report } from './selector-check';

/** Where a policy's gateway is. */
export type PolicyGateway =
  | {
      /** CiliumEgressGatewayPolicy: a node picked by label; the egress IP is derived on that node. */
      readonly type: 'nodeSelector';
      readonly nodeSelector: LabelSelector;
      readonly interface?: string;
      readonly egressIP?: string;
    }
  | {
      /** CiliumEgressNATPolicy: one fixed IP is both the gateway and the egress IP on every node. */
      readonly type: 'egressSourceIP';
      readonly egressSourceIP: string;
    };

/**
 * A validated egress policy as plain data, in the form Cilium's manager keeps
 * (pkg/egressgateway/policy.go): source selectors already combined and with
 * namespace keys prefixed, CIDRs canonical.
 */
export interface EgressPolicy {
  /** `KIND/NAME`: both kinds are cluster-scoped. */
  readonly id: string;
  readonly kind: EgressPolicyKind;
  readonly name: string;
  /** Where the policy came from (`FILE:DOC`), for messages. */
  readonly origin?: string;
  /**
   * Endpoint selectors over identity labels, one per entry of `selectors`
   * (`egress` in v2alpha1); an endpoint is a source when any of them matches.
   */
  readonly sourceSelectors: readonly LabelSelector[];
  readonly destinationCIDRs: readonly string[];
  readonly excludedCIDRs: readonly string[];
  readonly gateway: PolicyGateway;
  /** `egress.ciliary.io/failover: "true"`: ciliary's multi-gateway failover. */
  readonly failover: boolean;
}

/** The label key under which namespace labels appear on endpoints (`k8s:` source). */
export const NAMESPACE_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';

const IFNAMSIZ = 16;
const SPEC_FIELDS: Record<EgressPolicyKind, readonly string[]> = {
  CiliumEgressGatewayPolicy: ['selectors', 'destinationCIDRs', 'excludedCIDRs', 'egressGateway'],
  CiliumEgressNATPolicy: ['egress', 'destinationCIDRs', 'egressSourceIP'],
};
const API_VERSIONS: Record<EgressPolicyKind, string> = {
  CiliumEgressGatewayPolicy: 'cilium.io/v2',
  CiliumEgressNATPolicy: 'cilium.io/v2alpha1',
};

/**
 * Validates a CiliumEgressGatewayPolicy (cilium.io/v2) or a CiliumEgressNATPolicy
 * (cilium.io/v2alpha1) and returns its plain-data model, or every problem found,
 * each with the document, the JSON path and what is wrong.
 */
export function parseEgressPolicy(object: unknown, origin?: string): Result<EgressPolicy> {
  const issues: Issue[] = [];
  const report: Report = (path, message) =>
    issues.push({ ...(origin !== undefined ? { document: origin } : {}), path, message });
  if (!isRecord(object)) {
    report('', 'document is not an object');
    return failed(issues);
  }
  const kind = object['kind'];
  if (kind !== 'CiliumEgressGatewayPolicy' && kind !== 'CiliumEgressNATPolicy') {
    report(
      '/kind',
      `must be CiliumEgressGatewayPolicy or CiliumEgressNATPolicy (got ${JSON.stringify(kind)})`,
    );
    return failed(issues);
  }
  if (object['apiVersion'] !== API_VERSIONS[kind])
    report('/apiVersion', `${kind} is ${API_VERSIONS[kind]} (got ${JSON.stringify(object['apiVersion'])})`);
  const meta = isRecord(object['metadata']) ? object['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  if (name === '') report('/metadata/name', 'required string is missing');
  const failover = checkFailoverAnnotation(meta['annotations'], kind, report);
  const spec = object['spec'];
  if (!isRecord(spec)) {
    report('/spec', 'required object is missing');
    return failed(issues);
  }
  for (const field of Object.keys(spec)) {
    if (!SPEC_FIELDS[kind].includes(field))
      report(
        `/spec/${escapePointer(field)}`,
        `unknown field of ${kind} (known: ${SPEC_FIELDS[kind].join(', ')})`,
      );
  }
  const selectorField = kind === 'CiliumEgressGatewayPolicy' ? 'selectors' : 'egress';
  const sourceSelectors = checkRules(spec[selectorField], `/spec/${selectorField}`, report);
  const destinationCIDRs = checkCidrList(spec['destinationCIDRs'], '/spec/destinationCIDRs', true, report);
  const excludedCIDRs =
    kind === 'CiliumEgressGatewayPolicy'
      ? checkCidrList(spec['excludedCIDRs'], '/spec/excludedCIDRs', false, report)
      : [];
  const gateway =
    kind === 'CiliumEgressGatewayPolicy'
      ? checkEgressGateway(spec['egressGateway'], report)
      : checkEgressSourceIP(spec['egressSourceIP'], report);
  if (issues.length > 0 || gateway === undefined) return failed(issues);
  return ok({
    id: `${kind}/${name}`,
    kind,
    name,
    ...(origin !== undefined ? { origin } : {}),
    sourceSelectors,
    destinationCIDRs,
    excludedCIDRs,
    gateway,
    failover,
  });
}

function checkFailoverAnnotation(annotations: unknown, kind: EgressPolicyKind, report: Report): boolean {
  if (!isRecord(annotations) || annotations[FAILOVER_ANNOTATION] === undefined) return false;
  const path = `/metadata/annotations/${escapePointer(FAILOVER_ANNOTATION)}`;
  const value = annotations[FAILOVER_ANNOTATION];
  if (value !== 'true' && value !== 'false') {
    report(path, `must be "true" or "false" (got ${JSON.stringify(value)})`);
    return false;
  }
  if (value === 'true' && kind === 'CiliumEgressNATPolicy') {
    report(
      path,
      'failover needs gateway nodes chosen by a nodeSelector; a CiliumEgressNATPolicy has one fixed egressSourceIP',
    );
    return false;
  }
  return value === 'true';
}

function checkRules(value: unknown, path: string, report: Report): LabelSelector[] {
  if (!Array.isArray(value) || value.length === 0) {
    report(path, 'at least one selector (namespaceSelector and/or podSelector) is required');
    return [];
  }
  const out: LabelSelector[] = [];
  value.forEach((rule: unknown, i) => {
    const at = `${path}/${i}`;
    if (!isRecord(rule)) {
      report(at, 'must be an object with a namespaceSelector and/or a podSelector');
      return;
    }
    for (const field of Object.keys(rule)) {
      if (field !== 'namespaceSelector' && field !== 'podSelector')
        report(`${at}/${escapePointer(field)}`, 'unknown field (namespaceSelector, podSelector)');
    }
    const hasNs = rule['namespaceSelector'] !== undefined && rule['namespaceSelector'] !== null;
    const hasPod = rule['podSelector'] !== undefined && rule['podSelector'] !== null;
    if (!hasNs && !hasPod) {
      report(at, 'needs a namespaceSelector or a podSelector: a selector with neither selects nothing');
      return;
    }
    const ns = hasNs
      ? checkLabelSelector(rule['namespaceSelector'], `${at}/namespaceSelector`, report)
      : undefined;
    const pod = hasPod ? checkLabelSelector(rule['podSelector'], `${at}/podSelector`, report) : undefined;
    if ((hasNs && !ns) || (hasPod && !pod)) return;
    out.push(
      endpointSelectorOf({ ...(ns ? { namespaceSelector: ns } : {}), ...(pod ? { podSelector: pod } : {}) }),
    );
  });
  return out;
}

/**
 * Cilium's translation of one rule into an endpoint selector: namespace label
 * keys become `io.cilium.k8s.namespace.labels.<key>`, an empty namespaceSelector
 * means "any namespace" (the namespace label exists), and both parts are ANDed.
 */
export function endpointSelectorOf(rule: EgressRule): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: Array<NonNullable<LabelSelector['matchExpressions']>[number]> = [];
  const ns = rule.namespaceSelector;
  if (ns) {
    for (const [k, v] of Object.entries(ns.matchLabels ?? {}))
      matchLabels[`${NAMESPACE_LABELS_PREFIX}.${k}`] = v;
    for (const e of ns.matchExpressions ?? [])
      matchExpressions.push({ ...e, key: `${NAMESPACE_LABELS_PREFIX}.${e.key}` });
    if (Object.keys(ns.matchLabels ?? {}).length === 0 && (ns.matchExpressions ?? []).length === 0)
      matchExpressions.push({ key: POD_NAMESPACE_LABEL, operator: 'Exists' });
  }
  const pod = rule.podSelector;
  if (pod) {
    Object.assign(matchLabels, pod.matchLabels ?? {});
    matchExpressions.push(...(pod.matchExpressions ?? []));
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

function checkCidrList(value: unknown, path: string, required: boolean, report: Report): string[] {
  if (value === undefined || value === null) {
    if (required) report(path, 'at least one IPv4 CIDR is required');
    return [];
  }
  if (!Array.isArray(value)) {
    report(path, 'must be a list of IPv4 CIDRs');
    return [];
  }
  if (required && value.length === 0) report(path, 'at least one IPv4 CIDR is required');
  const out: string[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string') {
      report(`${path}/${i}`, `must be a CIDR string (got ${JSON.stringify(item)})`);
      return;
    }
    const cidr = parseIpv4Cidr(item);
    if (typeof cidr === 'string') report(`${path}/${i}`, cidr);
    else if (!out.includes(cidr.text)) out.push(cidr.text);
  });
  return out;
}

function checkEgressGateway(value: unknown, report: Report): PolicyGateway | undefined {
  const path = '/spec/egressGateway';
  if (!isRecord(value)) {
    report(path, 'required object is missing (nodeSelector, and interface or egressIP)');
    return undefined;
  }
  for (const field of Object.keys(value)) {
    if (!['nodeSelector', 'interface', 'egressIP'].includes(field))
      report(`${path}/${escapePointer(field)}`, 'unknown field (nodeSelector, interface, egressIP)');
  }
  let nodeSelector: LabelSelector | undefined;
  if (value['nodeSelector'] === undefined || value['nodeSelector'] === null)
    report(`${path}/nodeSelector`, 'required label selector is missing: it picks the gateway node');
  else nodeSelector = checkLabelSelector(value['nodeSelector'], `${path}/nodeSelector`, report);
  const iface = optionalString(value['interface'], `${path}/interface`, report);
  const egressIP = optionalString(value['egressIP'], `${path}/egressIP`, report);
  if (iface !== undefined && egressIP !== undefined) {
    report(
      path,
      'interface and egressIP are mutually exclusive: set one of them, or neither to use the default-route interface',
    );
    return undefined;
  }
  if (iface !== undefined && !validInterfaceName(iface)) {
    report(
      `${path}/interface`,
      `${JSON.stringify(iface)} is not an interface name (1 to 15 characters, no "/", ":" or spaces)`,
    );
    return undefined;
  }
  if (egressIP !== undefined && ipv4ToNumber(egressIP) === undefined) {
    report(`${path}/egressIP`, `${JSON.stringify(egressIP)} is not an IPv4 address`);
    return undefined;
  }
  if (!nodeSelector) return undefined;
  return {
    type: 'nodeSelector',
    nodeSelector,
    ...(iface !== undefined ? { interface: iface } : {}),
    ...(egressIP !== undefined ? { egressIP } : {}),
  };
}

function checkEgressSourceIP(value: unknown, report: Report): PolicyGateway | undefined {
  const path = '/spec/egressSourceIP';
  if (value === undefined || value === null || value === '') {
    report(path, 'required IPv4 address is missing');
    return undefined;
  }
  if (typeof value !== 'string' || ipv4ToNumber(value) === undefined) {
    report(path, `${JSON.stringify(value)} is not an IPv4 address`);
    return undefined;
  }
  return { type: 'egressSourceIP', egressSourceIP: value };
}

/** A string field that may be absent; an empty string counts as absent, as in Cilium. */
function optionalString(value: unknown, path: string, report: Report): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    report(path, `must be a string (got ${JSON.stringify(value)})`);
    return undefined;
  }
  return value;
}

function validInterfaceName(name: string): boolean {
  return name.length < IFNAMSIZ && name !== '.' && name !== '..' && !/[\s/:]/.test(name);
}
