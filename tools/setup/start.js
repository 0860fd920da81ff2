// `npm start`: the agent on examples/ with readable logs, after setup.sh has run.
// Extra arguments after `npm start --` go to `ciliary agent` and win over these.
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const stateDir = isRoot
  ? '/var/run/ciliary'
  : path.join(require('node:os').tmpdir(), `ciliary-${process.getuid()}`);
const socket = path.join(stateDir, 'ciliary.sock');

const args = [
  path.join(root, 'apps/cli/bin/ciliary.js'),
  'agent',
  '--manifests',
  path.join(root, 'examples'),
  '--node-name',
  'node-1',
  '--state-dir',
  stateDir,
  '--api-socket',
  socket,
  '--log-format',
  'text',
  // The sensor (BPF) and the xDS server need root, as the datapath does.
  ...(isRoot ? ['--enable-tetragon', '--enable-envoy-config'] : []),
  ...process.argv.slice(2),
];
process.stderr.write(
  `[start] ciliary agent on examples/; in another terminal: node_modules/.bin/ciliary status --api-socket ${socket}\n` +
    '[start] Ctrl-C stops it\n',
);
const child = spawn(process.execPath, args, { stdio: 'inherit' });
// The terminal's Ctrl-C reaches the agent directly; only forward what is sent to this process alone.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
