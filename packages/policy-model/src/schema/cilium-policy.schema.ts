/**
 * JSON Schema of CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (cilium.io/v2),
 * written for ciliary from the fields of Cilium's CRD (pkg/policy/api). Unknown
 * fields are reported, since the API server would silently prune them and a
 * typo (`fromEndpoint`) would change the policy's meaning.
 */
import { ENTITIES } from '../api-types';

/** Numbers 0–65535 or an IANA service name (1–15 chars, letters, digits, inner single hyphens, one letter at least). */
const PORT_PATTERN = '^(\\d{1,5}|(?=.{1,15}$)(?=.*[a-zA-Z])[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)$';

const stringArray = { type: 'array', items: { type: 'string' } } as const;

export const labelSelectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1 },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: stringArray,
        },
      },
    },
  },
} as const;

const selectorArray = { type: 'array', items: { $ref: '#/$defs/selector' } } as const;

const cidrRuleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cidr'],
  properties: {
    cidr: { type: 'string' },
    except: stringArray,
    generated: { type: 'boolean' },
  },
} as const;

const portProtocolSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    port: { type: 'string', pattern: PORT_PATTERN },
    endPort: { type: 'integer', minimum: 0, maximum: 65535 },
    protocol: { enum: ['TCP', 'UDP', 'SCTP', 'ANY'] },
  },
} as const;

const secretRef = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string' }, namespace: { type: 'string' } },
} as const;

const tlsContextSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['secret'],
  properties: {
    secret: secretRef,
    trustedCA: { type: 'string' },
    certificate: { type: 'string' },
    privateKey: { type: 'string' },
  },
} as const;

const fqdnSelectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { matchName: { type: 'string' }, matchPattern: { type: 'string' } },
} as const;

const httpRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    method: { type: 'string' },
    host: { type: 'string' },
    headers: stringArray,
    headerMatches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          value: { type: 'string' },
          mismatch: { enum: ['LOG', 'ADD', 'DELETE', 'REPLACE'] },
          secret: secretRef,
        },
      },
    },
  },
} as const;

const kafkaRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    role: { type: 'string' },
    apiKey: { type: 'string' },
    apiVersion: { type: 'string' },
    clientID: { type: 'string' },
    topic: { type: 'string', maxLength: 255 },
  },
} as const;

const l7RulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    http: { type: 'array', items: httpRuleSchema },
    kafka: { type: 'array', items: kafkaRuleSchema },
    dns: { type: 'array', items: fqdnSelectorSchema },
    l7proto: { type: 'string' },
    l7: { type: 'array', items: { type: 'object', additionalProperties: { type: 'string' } } },
  },
} as const;

const portRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ports: { type: 'array', maxItems: 40, items: portProtocolSchema },
    terminatingTLS: tlsContextSchema,
    originatingTLS: tlsContextSchema,
    rules: l7RulesSchema,
  },
} as const;

const portDenyRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ports: { type: 'array', maxItems: 40, items: portProtocolSchema } },
} as const;

const icmpRuleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fields: {
      type: 'array',
      maxItems: 40,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          family: { enum: ['IPv4', 'IPv6'] },
          type: { type: 'integer', minimum: 0, maximum: 255 },
        },
      },
    },
  },
} as const;

const entityArray = { type: 'array', items: { enum: [...ENTITIES] } } as const;

const serviceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    k8sService: {
      type: 'object',
      additionalProperties: false,
      properties: { serviceName: { type: 'string' }, namespace: { type: 'string' } },
    },
    k8sServiceSelector: {
      type: 'object',
      additionalProperties: false,
      required: ['selector'],
      properties: { selector: { $ref: '#/$defs/selector' }, namespace: { type: 'string' } },
    },
  },
} as const;

const ingressCommon = {
  fromEndpoints: selectorArray,
  fromRequires: selectorArray,
  fromCIDR: stringArray,
  fromCIDRSet: { type: 'array', items: cidrRuleSchema },
  fromEntities: entityArray,
  icmps: { type: 'array', items: icmpRuleSchema },
} as const;

const egressCommon = {
  toEndpoints: selectorArray,
  toRequires: selectorArray,
  toCIDR: stringArray,
  toCIDRSet: { type: 'array', items: cidrRuleSchema },
  toEntities: entityArray,
  toServices: { type: 'array', items: serviceSchema },
  toGroups: { type: 'array', items: { type: 'object' } },
  icmps: { type: 'array', items: icmpRuleSchema },
} as const;

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    endpointSelector: { $ref: '#/$defs/selector' },
    nodeSelector: { $ref: '#/$defs/selector' },
    ingress: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { ...ingressCommon, toPorts: { type: 'array', items: portRuleSchema } },
      },
    },
    ingressDeny: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { ...ingressCommon, toPorts: { type: 'array', items: portDenyRuleSchema } },
      },
    },
    egress: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...egressCommon,
          toPorts: { type: 'array', items: portRuleSchema },
          toFQDNs: { type: 'array', items: fqdnSelectorSchema },
        },
      },
    },
    egressDeny: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { ...egressCommon, toPorts: { type: 'array', items: portDenyRuleSchema } },
      },
    },
    labels: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key'],
        properties: { key: { type: 'string' }, value: { type: 'string' }, source: { type: 'string' } },
      },
    },
    description: { type: 'string' },
  },
} as const;

export const objectMetaSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    namespace: { type: 'string' },
    uid: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

export const ciliumPolicySchema = {
  $id: 'ciliary:cilium.io/v2/CiliumNetworkPolicy',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'cilium.io/v2' },
    kind: { enum: ['CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] },
    metadata: objectMetaSchema,
    spec: { $ref: '#/$defs/rule' },
    specs: { type: 'array', items: { $ref: '#/$defs/rule' } },
    status: { type: 'object' },
  },
  $defs: { selector: labelSelectorSchema, rule: ruleSchema },
} as const;
