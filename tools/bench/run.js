// `npm run bench` after setup.sh: runs every `bench/*.bench.ts` of every
// package with tinybench, prints one table per file and writes the results,
// with the machine they came from, to .bench/<project>.json.
//
// A benchmark file exports `register(bench, context)` that adds tasks to a
// tinybench Bench; it may export `setup`/`teardown` hooks through the tasks.
// `npm run bench -- <substring>` runs only files whose path contains it.
require('./register-ts');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Bench } = require('tinybench');

const root = path.resolve(__dirname, '../..');
const outDir = path.join(root, '.bench');
const filter = process.argv[2];

function benchFiles() {
  const files = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = path.join(root, group);
    if (!fs.existsSync(groupDir)) continue;
    for (const project of fs.readdirSync(groupDir).sort()) {
      const dir = path.join(groupDir, project, 'bench');
      if (!fs.existsSync(dir)) continue;
      for (const file of fs.readdirSync(dir).sort()) {
        if (file.endsWith('.bench.ts'))
          files.push({ project: `${group}/${project}`, file: path.join(dir, file) });
      }
    }
  }
  return files.filter((f) => !filter || f.file.includes(filter));
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

function format(n, digits = 2) {
  if (!Number.isFinite(n)) return '-';
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

async function main() {
  // Library timers are unref'd; keep the process alive while benchmarks await them.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const files = benchFiles();
  const host = machine();
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, kernel ${host.kernel}, node ${host.node}`,
  );
  fs.mkdirSync(outDir, { recursive: true });
  const results = new Map();
  for (const [index, { project, file }] of files.entries()) {
    console.log(`\n[${index + 1}/${files.length}] ${path.relative(root, file)}`);
    const mod = require(file);
    const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 1000), warmupTime: 200 });
    const context = { tmpdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ciliary-bench-')) };
    await mod.register(bench, context);
    await bench.run();
    await mod.teardown?.(context);
    fs.rmSync(context.tmpdir, { recursive: true, force: true });
    const rows = bench.tasks.map((task) => {
      const r = task.result;
      const latency = r?.latency ?? {};
      const throughput = r?.throughput ?? {};
      return {
        task: task.name,
        opsPerSec: throughput.mean ?? NaN,
        meanMs: latency.mean ?? NaN,
        p50Ms: latency.p50 ?? NaN,
        p99Ms: latency.p99 ?? NaN,
        samples: latency.samplesCount ?? r?.samples?.length ?? 0,
      };
    });
    console.table(
      rows.map((r) => ({
        task: r.task,
        'ops/s': format(r.opsPerSec),
        'mean ms': format(r.meanMs, 4),
        'p50 ms': format(r.p50Ms, 4),
        'p99 ms': format(r.p99Ms, 4),
        samples: r.samples,
      })),
    );
    const list = results.get(project) ?? [];
    list.push({ file: path.relative(root, file), tasks: rows });
    results.set(project, list);
  }
  for (const [project, benches] of results) {
    const out = path.join(outDir, `${project.replace('/', '-')}.json`);
    fs.writeFileSync(out, JSON.stringify({ machine: host, benches }, null, 2));
    console.log(`wrote ${path.relative(root, out)}`);
  }
  clearInterval(keepAlive);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
  // A failed register() leaves the keep-alive interval and whatever the benchmark started behind.
  process.exit(1);
});
