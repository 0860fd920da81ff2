/**
 * JSON Schemas, written for ciliary, of the Kubernetes kinds policy reads:
 * networking.k8s.io/v1 NetworkPolicy in full, and the parts of Pods,
 * Namespaces and ServiceAccounts that make identities (other fields pass).
 */
import { labelSelectorSchema, objectMetaSchema } from './cilium-policy.schema';

const peerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    podSelector: { $ref: '#/$defs/selector' },
    namespaceSelector: { $ref: '#/$defs/selector' },
    ipBlock: {
      type: 'object',
      additionalProperties: false,
      required: ['cidr'],
      properties: { cidr: { type: 'string' }, except: { type: 'array', items: { type: 'string' } } },
    },
  },
} as const;

const networkPolicyPortSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
    port: { type: ['integer', 'string'] },
    endPort: { type: 'integer', minimum: 1, maximum: 65535 },
  },
} as const;

export const networkPolicySchema = {
  $id: 'ciliary:networking.k8s.io/v1/NetworkPolicy',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'networking.k8s.io/v1' },
    kind: { const: 'NetworkPolicy' },
    metadata: objectMetaSchema,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['podSelector'],
      properties: {
        podSelector: { $ref: '#/$defs/selector' },
        policyTypes: { type: 'array', items: { enum: ['Ingress', 'Egress'] } },
        ingress: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              from: { type: 'array', items: peerSchema },
              ports: { type: 'array', items: networkPolicyPortSchema },
            },
          },
        },
        egress: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              to: { type: 'array', items: peerSchema },
              ports: { type: 'array', items: networkPolicyPortSchema },
            },
          },
        },
      },
    },
    status: { type: 'object' },
  },
  $defs: { selector: labelSelectorSchema },
} as const;

const containerSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    ports: {
      type: 'array',
      items: {
        type: 'object',
        required: ['containerPort'],
        properties: {
          name: { type: 'string' },
          containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
          protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
        },
      },
    },
  },
} as const;

export const podSchema = {
  $id: 'ciliary:v1/Pod',
  type: 'object',
  required: ['metadata'],
  properties: {
    metadata: objectMetaSchema,
    spec: {
      type: 'object',
      properties: {
        nodeName: { type: 'string' },
        serviceAccountName: { type: 'string' },
        hostNetwork: { type: 'boolean' },
        containers: { type: 'array', items: containerSchema },
        initContainers: { type: 'array', items: containerSchema },
      },
    },
    status: {
      type: 'object',
      properties: {
        podIP: { type: 'string' },
        podIPs: {
          type: 'array',
          items: { type: 'object', required: ['ip'], properties: { ip: { type: 'string' } } },
        },
      },
    },
  },
} as const;

/** Namespaces and ServiceAccounts matter only through their metadata. */
export const metadataOnlySchema = {
  $id: 'ciliary:v1/metadata-only',
  type: 'object',
  required: ['metadata'],
  properties: { metadata: objectMetaSchema },
} as const;
