// A long-lived TCP peer for the datapath tests, run inside a pod's namespace.
//   server PORT           echoes every line back
//   client HOST PORT      forwards stdin lines to the server, prints the replies
const net = require('node:net');
const readline = require('node:readline');

const [mode, a, b] = process.argv.slice(2);
if (mode === 'server') {
  net
    .createServer((socket) => socket.pipe(socket))
    .listen(Number(a), () => process.stdout.write('listening\n'));
} else {
  const socket = net.connect(Number(b), a, () => process.stdout.write('connected\n'));
  socket.on('data', (d) => process.stdout.write(d));
  socket.on('error', (e) => process.stdout.write(`error ${e.code}\n`));
  socket.on('close', () => process.stdout.write('closed\n'));
  readline.createInterface({ input: process.stdin }).on('line', (line) => socket.write(`${line}\n`));
}
