import * as os from 'node:os';

/** The node name Tetragon puts in exec ids and events: HUBBLE_NODE_NAME, else NODE_NAME, else the hostname. */
export function nodeName(env: NodeJS.ProcessEnv = process.env, hostname: () => string = os.hostname): string {
  return env['HUBBLE_NODE_NAME'] || env['NODE_NAME'] || hostname();
}
