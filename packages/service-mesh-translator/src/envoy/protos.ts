import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Root, type Type } from 'protobufjs';
import { CiliaryError } from '@ciliary/core';
import { addCiliumTypes } from './cilium-types';

/**
 * The .proto files ciliary reads. They come from the npm package that ships
 * Envoy's API (@grpc/grpc-js-xds, under deps/); nothing is copied into this repo.
 * Filters referenced through `typed_config` must be loaded here to be encodable.
 */
export const ENVOY_PROTO_FILES: readonly string[] = [
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/status/v3/csds.proto',
];

const DEPENDENCY_DIRS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'];

export class ProtoLoadError extends CiliaryError {
  override readonly name = 'ProtoLoadError';
  constructor(
    message: string,
    readonly file: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where the .proto files are found: the protos package's deps folders, then protobufjs's own google/protobuf files. */
export function envoyProtoIncludeDirs(): string[] {
  const xdsPackage = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  return DEPENDENCY_DIRS.map((dir) => path.join(xdsPackage, 'deps', dir));
}

function protobufjsDir(): string {
  return path.dirname(require.resolve('protobufjs/package.json'));
}

/**
 * Loads Envoy's protos into a fresh protobufjs Root (about 150 ms). Each caller
 * owns its Root: there is no shared, module-level registry.
 */
export function loadEnvoyRoot(extraFiles: readonly string[] = []): Root {
  const includeDirs = envoyProtoIncludeDirs();
  const wellKnownDir = protobufjsDir();
  const root = new Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target) && existsSync(target)) return target;
    if (target.startsWith('google/protobuf/')) {
      const bundled = path.join(wellKnownDir, target);
      if (existsSync(bundled)) return bundled;
    }
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  const files = [...ENVOY_PROTO_FILES, ...extraFiles];
  try {
    root.loadSync(files, { keepCase: true });
    addCiliumTypes(root);
    root.resolveAll();
  } catch (err) {
    throw new ProtoLoadError(`cannot load Envoy's .proto files: ${String(err)}`, undefined, { cause: err });
  }
  return root;
}

/** Looks up a message type by its full name (without the leading dot). */
export function lookupMessage(root: Root, fullName: string): Type | undefined {
  try {
    return root.lookupType(fullName);
  } catch {
    return undefined;
  }
}
