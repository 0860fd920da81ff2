import Ajv, { type ValidateFunction } from 'ajv';
import type { Issue } from '@ciliary/core';
import { ciliumPolicySchema } from '../schema/cilium-policy.schema';
import { metadataOnlySchema, networkPolicySchema, podSchema } from '../schema/kubernetes.schema';
import { describeSchemaError } from './schema-messages';
import { checkCiliumPolicy, checkNetworkPolicy, checkPod, type Report } from './semantic';

/** One document to validate: a parsed manifest object and where it came from. */
export interface PolicyDocument {
  readonly object: unknown;
  /** `FILE:DOC`, carried into every issue as its `document`. */
  readonly origin?: string;
}

/** An Issue that also names the object it is about. */
export interface PolicyIssue extends Issue {
  readonly kind: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

/** The kinds validation knows, by `apiVersion/kind`. */
const KINDS: Record<string, 'cilium' | 'networkPolicy' | 'pod' | 'metadata'> = {
  'cilium.io/v2/CiliumNetworkPolicy': 'cilium',
  'cilium.io/v2/CiliumClusterwideNetworkPolicy': 'cilium',
  'networking.k8s.io/v1/NetworkPolicy': 'networkPolicy',
  'v1/Pod': 'pod',
  'v1/Namespace': 'metadata',
  'v1/ServiceAccount': 'metadata',
};

/** Whether validation (and the policy model) reads this apiVersion and kind. */
export function isPolicyModelKind(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in KINDS;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/**
 * Validates policy documents against the JSON Schemas of their kinds and
 * Cilium's semantic rules, reporting every problem at once. Compiles its
 * schemas once; keep one instance and reuse it.
 */
export class PolicyValidator {
  private readonly validators: Record<'cilium' | 'networkPolicy' | 'pod' | 'metadata', ValidateFunction>;

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    this.validators = {
      cilium: ajv.compile(ciliumPolicySchema),
      networkPolicy: ajv.compile(networkPolicySchema),
      pod: ajv.compile(podSchema),
      metadata: ajv.compile(metadataOnlySchema),
    };
  }

  /** Every issue of every document, in document order. Documents of other kinds are skipped. */
  validate(documents: readonly PolicyDocument[]): PolicyIssue[] {
    return documents.flatMap((d) => this.validateObject(d.object, d.origin));
  }

  validateObject(object: unknown, origin?: string): PolicyIssue[] {
    const value = rec(object);
    const meta = rec(value?.['metadata']);
    const kind = typeof value?.['kind'] === 'string' ? value['kind'] : '';
    const name = typeof meta?.['name'] === 'string' ? meta['name'] : '';
    const namespace = typeof meta?.['namespace'] === 'string' ? meta['namespace'] : undefined;
    const issues: PolicyIssue[] = [];
    const seen = new Set<string>();
    const report: Report = (path, message) => {
      const id = `${path}\n${message}`;
      if (seen.has(id)) return;
      seen.add(id);
      issues.push({
        ...(origin !== undefined ? { document: origin } : {}),
        kind,
        ...(namespace !== undefined ? { namespace } : {}),
        name,
        path,
        message,
      });
    };
    if (!value) {
      report('', 'document is not an object');
      return issues;
    }
    const family = KINDS[`${String(value['apiVersion'])}/${kind}`];
    if (!family) return issues;
    const validateSchema = this.validators[family];
    if (!validateSchema(value)) {
      for (const error of validateSchema.errors ?? []) {
        const described = describeSchemaError(error);
        if (described) report(described.path, described.message);
      }
    }
    if (name === '') report('/metadata/name', 'required field is missing');
    if (family === 'cilium') checkCiliumPolicy(value, report);
    if (family === 'networkPolicy') checkNetworkPolicy(value, report);
    if (family === 'pod') checkPod(value, report);
    return issues;
  }
}

/** Validates documents with a fresh validator (compiling the schemas); reuse a `PolicyValidator` for many calls. */
export function validate(documents: readonly PolicyDocument[]): PolicyIssue[] {
  return new PolicyValidator().validate(documents);
}
