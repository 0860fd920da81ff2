import type { KubeObject, Result } from '@ciliary/core';
import type { IngressControllerConfig } from '../config';
import { annotation, DEFAULT_CLASS_ANNOTATION } from './annotations';
import { isDnsSubdomain, isRecord, IssueCollector, stringField } from './fields';
import { INGRESS_API_VERSION } from './ingress';

/** A validated IngressClass. */
export interface IngressClass {
  readonly name: string;
  /** `spec.controller`: which controller implements the class. */
  readonly controller: string;
  /** Annotated `ingressclass.kubernetes.io/is-default-class: "true"`. */
  readonly isDefault: boolean;
  readonly document: string;
}

export function parseIngressClass(
  object: KubeObject,
  document = `IngressClass ${object.metadata.name ?? '(unnamed)'}`,
): Result<IngressClass> {
  const issues = new IssueCollector(document);
  if (object.apiVersion !== INGRESS_API_VERSION) issues.add('/apiVersion', `must be ${INGRESS_API_VERSION}`);
  if (object.kind !== 'IngressClass') issues.add('/kind', 'must be IngressClass');
  const name = object.metadata.name ?? '';
  if (name === '') issues.add('/metadata/name', 'is required');
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const controller = stringField(spec, 'controller', '/spec', issues);
  if (controller === undefined)
    issues.add('/spec/controller', 'is required, e.g. cilium.io/ingress-controller');
  else if (!/^[a-z0-9.-]+\/[^\s]+$/.test(controller) || !isDnsSubdomain(controller.split('/')[0] ?? ''))
    issues.add(
      '/spec/controller',
      `"${controller}" must be a domain-prefixed path such as cilium.io/ingress-controller`,
    );
  const flag = object.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION];
  if (issues.issues.length > 0) return { ok: false, issues: issues.issues };
  return { ok: true, value: { name, controller: controller ?? '', isDefault: flag === 'true', document } };
}

/** Whether this controller implements a class: by Cilium's class name, or by `spec.controller`. */
export function isServedClass(
  name: string,
  classes: readonly IngressClass[],
  config: IngressControllerConfig,
): boolean {
  if (name === config.className) return true;
  return classes.some((c) => c.name === name && c.controller === config.controllerName);
}

/** Whether the controller serves an Ingress, and why, for logs and `ingress translate`. */
export interface ClassSelection {
  readonly served: boolean;
  readonly reason: string;
}

/**
 * Decides whether an Ingress belongs to this controller. The legacy
 * `kubernetes.io/ingress.class` annotation wins when set (as Kubernetes
 * specifies); otherwise `spec.ingressClassName`; an Ingress naming no class is
 * served when a default IngressClass is this controller's.
 */
export function selectIngress(
  object: KubeObject,
  classes: readonly IngressClass[],
  config: IngressControllerConfig,
): ClassSelection {
  const legacy = annotation(object.metadata.annotations ?? {}, 'legacyIngressClass');
  if (legacy)
    return isServedClass(legacy.value, classes, config)
      ? { served: true, reason: `annotation ${legacy.key}: ${legacy.value}` }
      : { served: false, reason: `annotation ${legacy.key} names class "${legacy.value}"` };
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const className = spec['ingressClassName'];
  if (typeof className === 'string' && className !== '')
    return isServedClass(className, classes, config)
      ? { served: true, reason: `ingressClassName ${className}` }
      : { served: false, reason: `ingressClassName "${className}" is another controller's class` };
  const defaults = classes.filter((c) => c.isDefault);
  const ours = defaults.find((c) => isServedClass(c.name, classes, config));
  if (ours) return { served: true, reason: `no class named; IngressClass ${ours.name} is the default` };
  return {
    served: false,
    reason:
      defaults.length > 0
        ? `no class named, and the default IngressClass ${defaults[0]!.name} is another controller's`
        : "no class named, and no default IngressClass is this controller's",
  };
}
