// Benchmark peer, run inside a pod's namespace.
//   sink PORT            reads everything; answers "ok\n" after each "\n"-terminated burst
//   echo PORT            echoes every byte back (request/response)
//   drive HOST PORT      on stdin "bulk N": sends N bytes then "\n", waits for "ok";
//                        "rr N": N one-byte round trips; prints "done\n" after each command
const net = require('node:net');
const readline = require('node:readline');

const [mode, a, b] = process.argv.slice(2);
if (mode === 'sink') {
  net
    .createServer((s) => s.on('data', (d) => d[d.length - 1] === 10 && s.write('ok\n')))
    .listen(Number(a), () => process.stdout.write('listening\n'));
} else if (mode === 'echo') {
  net.createServer((s) => s.pipe(s)).listen(Number(a), () => process.stdout.write('listening\n'));
} else {
  const socket = net.connect(Number(b), a, () => process.stdout.write('connected\n'));
  socket.setNoDelay(true);
  const chunk = Buffer.alloc(1 << 20, 97);
  let waiting = null;
  socket.on('data', (d) => waiting && waiting(d));
  const bulk = (n) =>
    new Promise((resolve) => {
      waiting = () => resolve();
      let left = n;
      const pump = () => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!socket.write(part)) return socket.once('drain', pump);
        }
        socket.write('\n');
      };
      pump();
    });
  const rr = async (n) => {
    for (let i = 0; i < n; i++)
      await new Promise((resolve) => {
        waiting = () => resolve();
        socket.write('x');
      });
  };
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    const [cmd, n] = line.split(' ');
    if (cmd === 'bulk') await bulk(Number(n));
    else await rr(Number(n));
    process.stdout.write('done\n');
  });
}
