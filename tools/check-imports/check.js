// Checks what lint alone cannot: no import cycles inside any project, and no
// import of another workspace package except through its `exports` map.
// Uses TypeScript's own pre-processor to read imports, so it sees exactly what tsc sees.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '../..');
const problems = [];

function projects() {
  const found = [];
  for (const group of ['packages', 'apps']) {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const manifest = path.join(dir, name, 'package.json');
      if (fs.existsSync(manifest))
        found.push({ dir: path.join(dir, name), pkg: JSON.parse(fs.readFileSync(manifest, 'utf8')) });
    }
  }
  return found;
}

function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist')
      out.push(...sourceFiles(full));
    else if (entry.isFile() && /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function resolveRelative(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const all = projects();
const exportsByName = new Map(all.map((p) => [p.pkg.name, Object.keys(p.pkg.exports ?? { '.': true })]));

for (const project of all) {
  const files = fs.existsSync(project.dir) ? sourceFiles(project.dir) : [];
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const edges = [];
    for (const { fileName: spec } of info.importedFiles) {
      if (spec.startsWith('.')) {
        const target = resolveRelative(file, spec);
        if (target) edges.push(target);
        continue;
      }
      const match = spec.match(/^(@ciliary\/[^/]+)(\/.*)?$/);
      if (!match) continue;
      const [, name, sub] = match;
      const allowed = exportsByName.get(name);
      if (!allowed) problems.push(`${path.relative(root, file)}: imports unknown workspace package ${name}`);
      else if (!allowed.includes(`.${sub ?? ''}`)) {
        problems.push(`${path.relative(root, file)}: deep import ${spec} (not in ${name}'s exports map)`);
      }
      const inSource = path.relative(project.dir, file).startsWith('src' + path.sep);
      if (name === project.pkg.name && inSource)
        problems.push(`${path.relative(root, file)}: imports its own package by name (${spec})`);
    }
    graph.set(file, edges);
  }
  // Depth-first search for back edges: each one closes a cycle.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, 'active');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'active') {
        const cycle = stack
          .slice(stack.indexOf(next))
          .concat(next)
          .map((f) => path.relative(root, f));
        problems.push(`import cycle: ${cycle.join(' -> ')}`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(`imports ok in ${all.length} projects`);
