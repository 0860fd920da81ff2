import { describe, expect, test } from '@jest/globals';
import { formatLabel, LabelSet, parseLabel } from './labels';
import { EndpointSelector, extendedKey } from './selector';

describe('labels', () => {
  test('parse and format source:key=value, with unspec as the default source and $ for reserved', () => {
    expect(parseLabel('k8s:app=web')).toEqual({ source: 'k8s', key: 'app', value: 'web' });
    expect(parseLabel('app=web')).toEqual({ source: 'unspec', key: 'app', value: 'web' });
    expect(parseLabel('$host')).toEqual({ source: 'reserved', key: 'host', value: '' });
    expect(parseLabel('k8s:a=b=c')).toEqual({ source: 'k8s', key: 'a', value: 'b=c' });
    expect(formatLabel(parseLabel('reserved:world'))).toBe('reserved:world');
    expect(formatLabel(parseLabel('k8s:app=web'))).toBe('k8s:app=web');
  });

  test('a label set is sorted and canonical, one value per source and key', () => {
    const a = LabelSet.parse(['k8s:b=2', 'k8s:a=1', 'k8s:a=3']);
    expect(a.toStrings()).toEqual(['k8s:a=3', 'k8s:b=2']);
    expect(a.id).toBe(LabelSet.parse(['k8s:b=2', 'k8s:a=3']).id);
  });

  test('any-source lookups find a key of any source; other sources must match exactly', () => {
    const set = LabelSet.parse(['k8s:app=web', 'container:tier=db']);
    expect(set.get('any', 'app')).toBe('web');
    expect(set.get('k8s', 'app')).toBe('web');
    expect(set.get('container', 'app')).toBeUndefined();
    expect(set.has('any', 'tier')).toBe(true);
  });
});

describe('selectors', () => {
  test('extended keys: source prefix, $ for reserved, any by default', () => {
    expect(extendedKey('k8s:app')).toEqual({ source: 'k8s', key: 'app' });
    expect(extendedKey('app.kubernetes.io/name')).toEqual({ source: 'any', key: 'app.kubernetes.io/name' });
    expect(extendedKey('$host')).toEqual({ source: 'reserved', key: 'host' });
    expect(extendedKey('reserved:world')).toEqual({ source: 'reserved', key: 'world' });
  });

  test('matchLabels without source match any source; with a source only that source', () => {
    const pod = LabelSet.parse(['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop']);
    expect(EndpointSelector.fromLabelSelector({ matchLabels: { app: 'web' } }).matches(pod)).toBe(true);
    expect(EndpointSelector.fromLabelSelector({ matchLabels: { 'k8s:app': 'web' } }).matches(pod)).toBe(true);
    expect(EndpointSelector.fromLabelSelector({ matchLabels: { 'container:app': 'web' } }).matches(pod)).toBe(
      false,
    );
    expect(EndpointSelector.fromLabelSelector({ matchLabels: { app: 'db' } }).matches(pod)).toBe(false);
  });

  test('matchExpressions: In, NotIn (true when absent), Exists, DoesNotExist', () => {
    const pod = LabelSet.parse(['k8s:env=prod']);
    const sel = (operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', key: string, values?: string[]) =>
      EndpointSelector.fromLabelSelector({
        matchExpressions: [{ key, operator, ...(values ? { values } : {}) }],
      });
    expect(sel('In', 'env', ['prod', 'qa']).matches(pod)).toBe(true);
    expect(sel('In', 'env', ['qa']).matches(pod)).toBe(false);
    expect(sel('NotIn', 'env', ['qa']).matches(pod)).toBe(true);
    expect(sel('NotIn', 'env', ['prod']).matches(pod)).toBe(false);
    expect(sel('NotIn', 'tier', ['db']).matches(pod)).toBe(true);
    expect(sel('Exists', 'env').matches(pod)).toBe(true);
    expect(sel('Exists', 'tier').matches(pod)).toBe(false);
    expect(sel('DoesNotExist', 'tier').matches(pod)).toBe(true);
    expect(sel('DoesNotExist', 'env').matches(pod)).toBe(false);
  });

  test('the empty selector is the wildcard and matches reserved identities too', () => {
    const wildcard = EndpointSelector.fromLabelSelector({});
    expect(wildcard.isWildcard).toBe(true);
    expect(wildcard.matches(LabelSet.parse(['reserved:world']))).toBe(true);
    expect(wildcard.id).toBe(EndpointSelector.wildcard().id);
  });

  test('withMatch overrides a matchLabels value under the same key; ids are canonical', () => {
    const sel = EndpointSelector.fromLabelSelector({
      matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'other', app: 'web' },
    }).withMatch('k8s', 'io.kubernetes.pod.namespace', 'shop');
    expect(sel.id).toBe('{any:app=web, k8s:io.kubernetes.pod.namespace=shop}');
    expect(sel.matchValue('k8s', 'io.kubernetes.pod.namespace')).toBe('shop');
    expect(sel.toLabelSelector()).toEqual({
      matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'shop', 'any:app': 'web' },
    });
  });
});
