import * as path from 'node:path';
import { Root } from 'protobufjs';

/** The .proto files shipped with the package (next to `src` and `dist`). */
export const PROTO_DIR = path.resolve(__dirname, '../../proto');

/** Every file of the event API; sensors.proto imports the rest. */
const ENTRY_FILES = ['tetragon/sensors.proto'];

/**
 * Parses the shipped .proto files into a fresh protobufjs Root. Field names are kept as
 * written (snake_case) because they are the JSON keys of Tetragon's export.
 */
export function loadTetragonRoot(): Root {
  const root = new Root();
  // Well-known types resolve to protobufjs's bundled copies; ours resolve to PROTO_DIR.
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target);
  root.loadSync(ENTRY_FILES, { keepCase: true });
  root.resolveAll();
  return root;
}
