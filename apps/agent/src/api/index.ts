// What clients of the agent need to reach it: the version, socket and route
// names. Kept free of the subsystems' imports so that a command line that only
// talks to a running agent does not load BPF, gRPC or Kubernetes code.
import * as path from 'node:path';
import { DEFAULT_STATE_DIR } from '@ciliary/daemon';

export const AGENT_VERSION = '0.1.0';
export const DEFAULT_AGENT_SOCKET = path.join(DEFAULT_STATE_DIR, 'ciliary.sock');
export const DEFAULT_AGENT_METRICS = '127.0.0.1:9962';

export const CLUSTERMESH_STATUS_ROUTE = '/v1/clustermesh/status';
export const CLUSTERMESH_SERVICES_ROUTE = '/v1/clustermesh/services';
export const EGRESS_STATUS_ROUTE = '/v1/egress/status';
export const EGRESS_ENTRIES_ROUTE = '/v1/egress/entries';
export const ENVOY_CONFIG_ROUTE = '/v1/envoy-config';
export const SENSOR_POLICIES_ROUTE = '/v1/sensor/policies';

/** The secrets namespace Ingress TLS Secrets are synced into, as Cilium's default. */
export const DEFAULT_SECRETS_NAMESPACE = 'cilium-secrets';
/** Where the agent serves Tetragon's FineGuidanceSensors API, as the issue names it. */
export const DEFAULT_SENSOR_ADDRESS = 'unix:///var/run/ciliary/tetragon.sock';
