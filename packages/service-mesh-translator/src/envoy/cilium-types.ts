import { Field, Namespace, Type, type Root } from 'protobufjs';

/**
 * Cilium's own Envoy extension configs (cilium/proxy, cilium/api/*.proto) are not
 * in the Envoy API package. The agent injects them into listeners, so they must
 * encode and decode; only the fields ciliary sets are declared, with the
 * upstream field numbers.
 */
export const CiliumTypeNames = {
  bpfMetadata: 'cilium.BpfMetadata',
  networkFilter: 'cilium.NetworkFilter',
  l7Policy: 'cilium.L7Policy',
} as const;

export function addCiliumTypes(root: Root): void {
  if (root.lookup('cilium.BpfMetadata')) return;
  const cilium = new Namespace('cilium');
  cilium.add(
    new Type('BpfMetadata')
      .add(new Field('bpf_root', 1, 'string'))
      .add(new Field('is_ingress', 2, 'bool'))
      .add(new Field('may_use_original_source_address', 3, 'bool'))
      .add(new Field('is_l7lb', 4, 'bool')),
  );
  cilium.add(new Type('NetworkFilter'));
  cilium.add(
    new Type('L7Policy')
      .add(new Field('access_log_path', 1, 'string'))
      .add(new Field('denied_403_body', 3, 'string')),
  );
  root.add(cilium);
}
