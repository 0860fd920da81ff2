// A pod's probe agent for the policy matrix test, run inside the pod's network
// namespace. It serves TCP 80 and 8080 and UDP 53 (echo), and on stdin takes
//   ID tcp IP PORT | ID udp IP PORT | ID icmp IP | ID hold IP PORT | ID say ID2 TEXT
// answering "ID ok" or "ID fail". `hold` keeps a TCP connection open; `say`
// sends a line on a held connection and waits for its echo.
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');
const { execFile } = require('node:child_process');

// Generous: on a loaded CI machine an allowed probe must not look denied.
const TIMEOUT_MS = 2000;
for (const port of [80, 8080]) net.createServer((s) => s.pipe(s)).listen(port);
const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
udp.bind(53);

const held = new Map();
const answer = (id, ok) => process.stdout.write(`${id} ${ok ? 'ok' : 'fail'}\n`);

function tcp(id, ip, port) {
  const socket = net.connect({ host: ip, port: Number(port) });
  const timer = setTimeout(() => finish(false), TIMEOUT_MS);
  let done = false;
  function finish(ok) {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    answer(id, ok);
  }
  socket.on('connect', () => socket.write('x'));
  socket.on('data', () => finish(true));
  socket.on('error', () => finish(false));
}

function udpProbe(id, ip, port) {
  const socket = dgram.createSocket('udp4');
  const timer = setTimeout(() => finish(false), TIMEOUT_MS);
  let done = false;
  function finish(ok) {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.close();
    answer(id, ok);
  }
  socket.on('message', () => finish(true));
  socket.on('error', () => finish(false));
  socket.send('x', Number(port), ip);
}

function icmp(id, ip) {
  execFile('ping', ['-c', '1', '-W', '2', ip], (err) => answer(id, !err));
}

function hold(id, ip, port) {
  const socket = net.connect({ host: ip, port: Number(port) });
  socket.setEncoding('utf8');
  socket.on('connect', () => {
    held.set(id, socket);
    answer(id, true);
  });
  socket.on('error', () => answer(id, false));
}

function say(id, heldId, text) {
  const socket = held.get(heldId);
  if (!socket || socket.destroyed) return answer(id, false);
  const timer = setTimeout(() => answer(id, false), TIMEOUT_MS * 2);
  socket.once('data', (d) => {
    clearTimeout(timer);
    answer(id, d.includes(text));
  });
  socket.write(`${text}\n`);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [id, kind, a, b] = line.trim().split(/\s+/);
  if (kind === 'tcp') tcp(id, a, b);
  else if (kind === 'udp') udpProbe(id, a, b);
  else if (kind === 'icmp') icmp(id, a);
  else if (kind === 'hold') hold(id, a, b);
  else if (kind === 'say') say(id, a, b);
  else answer(id, false);
});
process.stdout.write('ready\n');
