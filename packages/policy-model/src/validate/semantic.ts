/**
 * The checks a schema cannot express: Cilium 1.12's rule sanitisation
 * (pkg/policy/api/rule_validation.go, l4.go, fqdn.go, cidr.go, kafka) and
 * Kubernetes' NetworkPolicy and Pod validation. Defensive on types: the schema
 * reports type errors, these checks skip what they cannot read.
 */
import { parseIp, parsePrefix, prefixContains, formatPrefix } from '../cidr';
import { pointerSegment } from './schema-messages';

export type Report = (path: string, message: string) => void;

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function join(path: string, ...segments: Array<string | number>): string {
  return `${path}${segments.map((s) => `/${pointerSegment(s)}`).join('')}`;
}

const IANA_NAME = /^(?=.{1,15}$)(?=.*[a-zA-Z])[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;

export function checkSelector(value: unknown, path: string, report: Report): void {
  arr(rec(value)?.['matchExpressions']).forEach((e, i) => {
    const expr = rec(e);
    if (!expr) return;
    const values = arr(expr['values']);
    const op = expr['operator'];
    if ((op === 'In' || op === 'NotIn') && values.length === 0)
      report(join(path, 'matchExpressions', i, 'values'), `operator ${op} needs at least one value`);
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0)
      report(join(path, 'matchExpressions', i, 'values'), `operator ${op} takes no values`);
  });
}

export function checkCidr(value: unknown, path: string, report: Report): void {
  const text = str(value);
  if (text !== undefined && !parsePrefix(text))
    report(path, `"${text}" is not a CIDR (such as 10.0.0.0/8) or an IP address`);
}

/** A CIDR with excepts: each except must parse and lie inside the CIDR (`strict` = and be smaller). */
export function checkCidrWithExcepts(
  cidrValue: unknown,
  excepts: unknown,
  path: string,
  cidrField: string,
  report: Report,
  strict: boolean,
): void {
  const text = str(cidrValue);
  const cidr = text !== undefined ? parsePrefix(text) : undefined;
  if (text !== undefined && !cidr)
    report(join(path, cidrField), `"${text}" is not a CIDR (such as 10.0.0.0/8) or an IP address`);
  arr(excepts).forEach((e, i) => {
    const exceptText = str(e);
    if (exceptText === undefined) return;
    const except = parsePrefix(exceptText);
    const at = join(path, 'except', i);
    if (!except) report(at, `"${exceptText}" is not a CIDR (such as 10.0.0.0/8) or an IP address`);
    else if (cidr && (!prefixContains(cidr, except) || (strict && except.length === cidr.length)))
      report(at, `${formatPrefix(except)} is not ${strict ? 'strictly ' : ''}inside ${formatPrefix(cidr)}`);
  });
}

function checkFqdnSelector(value: unknown, path: string, report: Report): void {
  const s = rec(value);
  if (!s) return;
  const name = str(s['matchName']);
  const pattern = str(s['matchPattern']);
  if (name && pattern) report(path, 'only one of matchName or matchPattern is allowed');
  if (name && !/^[-a-zA-Z0-9_.]+$/.test(name))
    report(
      join(path, 'matchName'),
      `invalid characters in "${name}": only 0-9, a-z, A-Z, _, . and - are allowed`,
    );
  if (pattern && !/^[-a-zA-Z0-9_.*]+$/.test(pattern))
    report(
      join(path, 'matchPattern'),
      `invalid characters in "${pattern}": only 0-9, a-z, A-Z, _, ., - and * are allowed`,
    );
}

const KAFKA_ROLES = new Set(['produce', 'consume']);
const KAFKA_API_KEYS = new Set([
  'produce', 'fetch', 'offsets', 'metadata', 'leaderandisr', 'stopreplica', 'updatemetadata',
  'controlledshutdown', 'offsetcommit', 'offsetfetch', 'findcoordinator', 'joingroup', 'heartbeat',
  'leavegroup', 'syncgroup', 'describegroups', 'listgroups', 'saslhandshake', 'apiversions',
  'createtopics', 'deletetopics', 'deleterecords', 'initproducerid', 'offsetforleaderepoch',
  'addpartitionstotxn', 'addoffsetstotxn', 'endtxn', 'writetxnmarkers', 'txnoffsetcommit',
  'describeacls', 'createacls', 'deleteacls', 'describeconfigs', 'alterconfigs',
]); // prettier-ignore

function checkKafkaRule(value: unknown, path: string, report: Report): void {
  const k = rec(value);
  if (!k) return;
  const role = str(k['role']);
  const apiKey = str(k['apiKey']);
  if (role && apiKey) report(path, 'role and apiKey cannot both be set');
  if (role && !KAFKA_ROLES.has(role.toLowerCase()))
    report(join(path, 'role'), `"${role}" is not a Kafka role (produce or consume)`);
  if (apiKey && !KAFKA_API_KEYS.has(apiKey.toLowerCase()))
    report(join(path, 'apiKey'), `"${apiKey}" is not a Kafka API key name`);
  const version = str(k['apiVersion']);
  if (version && !/^\d+$/.test(version)) report(join(path, 'apiVersion'), `"${version}" is not a number`);
  const topic = str(k['topic']);
  if (topic && !/^[a-zA-Z0-9._-]+$/.test(topic))
    report(
      join(path, 'topic'),
      `"${topic}" is not a valid topic: only a-z, A-Z, 0-9, ., _ and - are allowed`,
    );
}

function checkHttpRule(value: unknown, path: string, report: Report): void {
  const h = rec(value);
  if (!h) return;
  for (const field of ['path', 'method', 'host']) {
    const re = str(h[field]);
    if (re === undefined) continue;
    try {
      new RegExp(re);
    } catch (err) {
      report(join(path, field), `"${re}" is not a valid regular expression: ${(err as Error).message}`);
    }
  }
}

interface PortRuleContext {
  readonly ingress: boolean;
  readonly hostPolicy: boolean;
}

function checkL7(rules: Record<string, unknown>, path: string, ctx: PortRuleContext, report: Report): void {
  const kinds = ['http', 'kafka', 'dns'].filter((k) => rules[k] !== undefined);
  if (str(rules['l7proto'])) kinds.push('l7proto');
  if (rules['l7'] !== undefined && !str(rules['l7proto']))
    report(join(path, 'l7'), "'l7' may only be specified when 'l7proto' is also specified");
  if (kinds.length > 1) report(path, `multiple L7 protocol rule types in one rule (${kinds.join(', ')})`);
  if (ctx.hostPolicy) report(path, 'L7 rules are not supported in host policies (nodeSelector)');
  arr(rules['http']).forEach((r, i) => checkHttpRule(r, join(path, 'http', i), report));
  arr(rules['kafka']).forEach((r, i) => checkKafkaRule(r, join(path, 'kafka', i), report));
  arr(rules['dns']).forEach((r, i) => checkFqdnSelector(r, join(path, 'dns', i), report));
}

function checkPortRule(value: unknown, path: string, ctx: PortRuleContext, report: Report): void {
  const pr = rec(value);
  if (!pr) return;
  const ports = arr(pr['ports']);
  const rules = rec(pr['rules']);
  const hasL7 =
    rules !== undefined &&
    (['http', 'kafka', 'dns', 'l7'].some((k) => rules[k] !== undefined) || !!str(rules['l7proto']));
  const hasDns = rules !== undefined && rules['dns'] !== undefined;
  if (ctx.ingress && hasDns) report(join(path, 'rules', 'dns'), 'DNS rules are not allowed on ingress');
  if (ports.length === 0 && hasDns) report(join(path, 'ports'), 'DNS rules need a port');
  let zeroPort = false;
  let range = false;
  ports.forEach((p, i) => {
    const port = rec(p);
    if (!port) return;
    const text = str(port['port']);
    const at = join(path, 'ports', i);
    const numeric = text !== undefined && /^\d+$/.test(text);
    if (numeric && Number(text) > 65535) report(join(at, 'port'), `port ${text} is out of range 0-65535`);
    if (numeric && Number(text) === 0) zeroPort = true;
    const endPort = port['endPort'];
    if (typeof endPort === 'number' && endPort > 0) {
      range = true;
      if (!numeric) report(join(at, 'endPort'), 'endPort needs a numeric port');
      else if (endPort < Number(text))
        report(join(at, 'endPort'), `endPort ${endPort} is below port ${text}`);
    }
    const protocol = str(port['protocol']) ?? 'ANY';
    if (hasL7 && !hasDns && protocol !== 'TCP')
      report(join(at, 'protocol'), `L7 rules can only apply to TCP (not ${protocol}) except for DNS rules`);
  });
  if (!hasL7 || !rules) return;
  if (zeroPort) report(join(path, 'rules'), 'L7 rules can not be used when a port is 0');
  if (range) report(join(path, 'rules'), 'L7 rules can not be used with port ranges (endPort)');
  checkL7(rules, join(path, 'rules'), ctx, report);
}

/** L3 members of one rule entry that Cilium 1.12 refuses to combine. */
const INGRESS_L3 = ['fromEndpoints', 'fromCIDR', 'fromCIDRSet', 'fromEntities'];
const EGRESS_L3 = ['toEndpoints', 'toCIDR', 'toCIDRSet', 'toEntities', 'toServices', 'toFQDNs', 'toGroups'];

function checkPeerEntry(
  value: unknown,
  path: string,
  ingress: boolean,
  hostPolicy: boolean,
  report: Report,
): void {
  const r = rec(value);
  if (!r) return;
  const present = (ingress ? INGRESS_L3 : EGRESS_L3).filter((m) => arr(r[m]).length > 0);
  if (present.length > 1) report(path, `combining ${present[0]} and ${present[1]} is not supported`);
  const toPorts = arr(r['toPorts']);
  if (!ingress && arr(r['toServices']).length > 0 && toPorts.length > 0)
    report(path, 'combining toServices and toPorts is not supported');
  if (arr(r['icmps']).length > 0 && toPorts.length > 0)
    report(path, 'icmps may only be present without toPorts: define a separate rule for toPorts');
  const prefix = ingress ? 'from' : 'to';
  for (const field of [`${prefix}Endpoints`, `${prefix}Requires`])
    arr(r[field]).forEach((s, i) => checkSelector(s, join(path, field, i), report));
  arr(r[`${prefix}CIDR`]).forEach((c, i) => checkCidr(c, join(path, `${prefix}CIDR`, i), report));
  arr(r[`${prefix}CIDRSet`]).forEach((c, i) => {
    const set = rec(c);
    if (set)
      checkCidrWithExcepts(
        set['cidr'],
        set['except'],
        join(path, `${prefix}CIDRSet`, i),
        'cidr',
        report,
        false,
      );
  });
  arr(r['toFQDNs']).forEach((f, i) => checkFqdnSelector(f, join(path, 'toFQDNs', i), report));
  arr(r['toServices']).forEach((s, i) => {
    const sel = rec(rec(s)?.['k8sServiceSelector'])?.['selector'];
    if (sel) checkSelector(sel, join(path, 'toServices', i, 'k8sServiceSelector', 'selector'), report);
  });
  toPorts.forEach((p, i) => checkPortRule(p, join(path, 'toPorts', i), { ingress, hostPolicy }, report));
}

function checkRule(value: unknown, path: string, clusterwide: boolean, report: Report): void {
  const r = rec(value);
  if (!r) return;
  const endpoint = r['endpointSelector'];
  const node = r['nodeSelector'];
  if (endpoint === undefined && node === undefined)
    report(path, 'a rule must have one of endpointSelector or nodeSelector');
  if (endpoint !== undefined && node !== undefined)
    report(path, 'a rule cannot have both endpointSelector and nodeSelector');
  if (node !== undefined && !clusterwide)
    report(
      join(path, 'nodeSelector'),
      'nodeSelector (a host policy) is only allowed in a CiliumClusterwideNetworkPolicy',
    );
  if (endpoint !== undefined) checkSelector(endpoint, join(path, 'endpointSelector'), report);
  if (node !== undefined) checkSelector(node, join(path, 'nodeSelector'), report);
  const hostPolicy = endpoint === undefined && node !== undefined;
  for (const [field, ingress] of [
    ['ingress', true],
    ['ingressDeny', true],
    ['egress', false],
    ['egressDeny', false],
  ] as const)
    arr(r[field]).forEach((e, i) => checkPeerEntry(e, join(path, field, i), ingress, hostPolicy, report));
}

export function checkCiliumPolicy(object: Record<string, unknown>, report: Report): void {
  const clusterwide = object['kind'] === 'CiliumClusterwideNetworkPolicy';
  const spec = object['spec'];
  const specs = arr(object['specs']);
  if (spec === undefined && specs.length === 0) report('/spec', 'a policy needs spec or specs');
  if (spec !== undefined) checkRule(spec, '/spec', clusterwide, report);
  specs.forEach((s, i) => checkRule(s, join('/specs', i), clusterwide, report));
}

function checkNetworkPolicyPort(value: unknown, path: string, report: Report): void {
  const p = rec(value);
  if (!p) return;
  const port = p['port'];
  if (typeof port === 'string' && !IANA_NAME.test(port))
    report(join(path, 'port'), `"${port}" is not a port name (IANA service name)`);
  if (typeof port === 'number' && (port < 1 || port > 65535))
    report(join(path, 'port'), `port ${port} is out of range 1-65535`);
  const endPort = p['endPort'];
  if (typeof endPort === 'number') {
    if (typeof port !== 'number') report(join(path, 'endPort'), 'endPort needs a numeric port');
    else if (endPort < port) report(join(path, 'endPort'), `endPort ${endPort} is below port ${port}`);
  }
}

function checkNetworkPolicyPeer(value: unknown, path: string, report: Report): void {
  const peer = rec(value);
  if (!peer) return;
  const selectors = peer['podSelector'] !== undefined || peer['namespaceSelector'] !== undefined;
  const ipBlock = rec(peer['ipBlock']);
  if (ipBlock && selectors) report(path, 'ipBlock cannot be combined with podSelector or namespaceSelector');
  if (!ipBlock && !selectors) report(path, 'a peer needs podSelector, namespaceSelector or ipBlock');
  if (peer['podSelector'] !== undefined)
    checkSelector(peer['podSelector'], join(path, 'podSelector'), report);
  if (peer['namespaceSelector'] !== undefined)
    checkSelector(peer['namespaceSelector'], join(path, 'namespaceSelector'), report);
  if (ipBlock)
    checkCidrWithExcepts(ipBlock['cidr'], ipBlock['except'], join(path, 'ipBlock'), 'cidr', report, true);
}

export function checkNetworkPolicy(object: Record<string, unknown>, report: Report): void {
  const spec = rec(object['spec']);
  if (!spec) return;
  checkSelector(spec['podSelector'], '/spec/podSelector', report);
  for (const [field, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    arr(spec[field]).forEach((r, i) => {
      const rule = rec(r);
      if (!rule) return;
      arr(rule[peers]).forEach((p, j) =>
        checkNetworkPolicyPeer(p, join('/spec', field, i, peers, j), report),
      );
      arr(rule['ports']).forEach((p, j) =>
        checkNetworkPolicyPort(p, join('/spec', field, i, 'ports', j), report),
      );
    });
  }
}

export function checkPod(object: Record<string, unknown>, report: Report): void {
  const status = rec(object['status']);
  const podIP = str(status?.['podIP']);
  if (podIP !== undefined && podIP !== '' && !parseIp(podIP))
    report('/status/podIP', `"${podIP}" is not an IP address`);
  arr(status?.['podIPs']).forEach((p, i) => {
    const ip = str(rec(p)?.['ip']);
    if (ip !== undefined && !parseIp(ip))
      report(join('/status/podIPs', i, 'ip'), `"${ip}" is not an IP address`);
  });
  const seen = new Set<string>();
  const spec = rec(object['spec']);
  for (const field of ['containers', 'initContainers']) {
    arr(spec?.[field]).forEach((c, i) => {
      arr(rec(c)?.['ports']).forEach((p, j) => {
        const name = str(rec(p)?.['name']);
        if (name === undefined) return;
        const at = join('/spec', field, i, 'ports', j, 'name');
        if (!IANA_NAME.test(name)) report(at, `"${name}" is not a port name (IANA service name)`);
        else if (seen.has(name)) report(at, `port name "${name}" is used twice in the pod`);
        seen.add(name);
      });
    });
  }
}
