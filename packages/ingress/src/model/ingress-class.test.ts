import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { DEFAULT_INGRESS_CONFIG } from '../config';
import { parseIngressClass, selectIngress, type IngressClass } from './ingress-class';

const config = DEFAULT_INGRESS_CONFIG;

function ingress(className?: string, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: className === undefined ? {} : { ingressClassName: className },
  };
}

function ingressClass(name: string, controller: string, isDefault: boolean): IngressClass {
  const parsed = parseIngressClass({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {},
    },
    spec: { controller },
  });
  if (!parsed.ok) throw new Error('bad class');
  return parsed.value;
}

describe('class selection', () => {
  const cilium = ingressClass('cilium', 'cilium.io/ingress-controller', false);
  const ciliumDefault = ingressClass('cilium', 'cilium.io/ingress-controller', true);
  const nginxDefault = ingressClass('nginx', 'k8s.io/ingress-nginx', true);
  const custom = ingressClass('edge', 'cilium.io/ingress-controller', false);

  test.each([
    ['class cilium, even without the IngressClass object', ingress('cilium'), [], true],
    ['another class', ingress('nginx'), [cilium, nginxDefault], false],
    ['a class of another name implemented by this controller', ingress('edge'), [custom], true],
    ['no class, cilium is the default', ingress(), [ciliumDefault], true],
    ['no class, cilium is not the default', ingress(), [cilium], false],
    ['no class, another controller is the default', ingress(), [cilium, nginxDefault], false],
    [
      'the legacy annotation wins over ingressClassName',
      ingress('nginx', { 'kubernetes.io/ingress.class': 'cilium' }),
      [],
      true,
    ],
    [
      'the legacy annotation naming another class',
      ingress(undefined, { 'kubernetes.io/ingress.class': 'nginx' }),
      [ciliumDefault],
      false,
    ],
  ])('%s', (_name, object, classes, served) => {
    expect(selectIngress(object, classes as IngressClass[], config).served).toBe(served);
  });

  test('only "true" marks the default class', () => {
    const parsed = parseIngressClass({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'cilium', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'yes' } },
      spec: { controller: 'cilium.io/ingress-controller' },
    });
    expect(parsed.ok && parsed.value.isDefault).toBe(false);
  });

  test('an IngressClass without a controller is refused', () => {
    const parsed = parseIngressClass({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'x' },
      spec: {},
    });
    expect(parsed).toEqual({
      ok: false,
      issues: [
        {
          document: 'IngressClass x',
          path: '/spec/controller',
          message: 'is required, e.g. cilium.io/ingress-controller',
        },
      ],
    });
  });
});
