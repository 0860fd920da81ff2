// `npm test` after setup.sh: the static checks, then every jest test (unit,
// kernel, end-to-end), then one plain closing line `N passed, N failed`.
// Each static check counts as one test. Under CI=true a skipped test counts as
// failed, so nothing passes by skipping.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const resultsDir = path.join(root, '.test-results');
const ci = process.env.CI === 'true';
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' };
const bin = (name) => path.join(root, 'node_modules/.bin', name);
// Jest arguments after `npm test --` (e.g. a path filter) narrow the run.
const jestFilter = process.argv.slice(2);

const checks = [
  {
    name: 'typecheck (tsc, every project with its tests)',
    cmd: bin('nx'),
    args: ['run-many', '-t', 'typecheck', '--output-style=static'],
  },
  { name: 'lint (eslint, module boundaries)', cmd: bin('eslint'), args: ['--max-warnings=0', '.'] },
  { name: 'format (prettier --check)', cmd: bin('prettier'), args: ['--check', '--log-level=warn', '.'] },
  {
    name: 'import cycles and package exports',
    cmd: process.execPath,
    args: [path.join(root, 'tools/check-imports/check.js')],
  },
];

let passed = 0;
let failed = 0;
const failures = [];

if (jestFilter.length === 0) {
  for (const check of checks) {
    const started = Date.now();
    const result = spawnSync(check.cmd, check.args, {
      cwd: root,
      env,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.status === 0) {
      passed++;
      console.log(`PASS ${check.name} (${seconds}s)`);
    } else {
      failed++;
      failures.push(check.name);
      console.log(`FAIL ${check.name} (${seconds}s)`);
      process.stdout.write(
        `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}\n`,
      );
    }
  }
}

fs.mkdirSync(resultsDir, { recursive: true });
const jsonFile = path.join(resultsDir, 'jest.json');
fs.rmSync(jsonFile, { force: true });
const jest = spawnSync(
  bin('jest'),
  ['--ci', '--json', `--outputFile=${jsonFile}`, '--maxWorkers=2', ...jestFilter],
  { cwd: root, env, stdio: 'inherit' },
);

if (fs.existsSync(jsonFile)) {
  const report = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  for (const suite of report.testResults) {
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      failed++; // a suite that failed to load has no test results of its own
      failures.push(
        `${path.relative(root, suite.name)}: ${suite.message.split('\n').find((l) => l.trim()) ?? 'failed to run'}`,
      );
    }
    for (const test of suite.assertionResults) {
      if (test.status === 'passed') passed++;
      else if (test.status === 'failed') {
        failed++;
        failures.push(`${path.relative(root, suite.name)}: ${test.fullName}`);
      } else if (ci) {
        failed++;
        failures.push(`${path.relative(root, suite.name)}: ${test.fullName} (skipped under CI=true)`);
      }
    }
  }
} else {
  failed++;
  failures.push(`jest produced no results (exit ${jest.status})`);
}

if (failures.length > 0) {
  console.log('\nFailed:');
  for (const failure of failures) console.log(`  - ${failure}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || jest.status !== 0 ? 1 : 0;
