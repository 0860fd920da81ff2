import type { Bench } from 'tinybench';
import { Redactor, compileRe2, type Process } from '../src';

/**
 * The RE2 engine behind Filter regexes and redaction, on realistic text, beside V8's RegExp on the
 * same patterns (which backtracks, so it is shown only where it is safe), and on the text a hostile
 * process could choose.
 */

const BINARIES = [
  '/usr/bin/curl',
  '/usr/local/bin/python3.11',
  '/bin/sh',
  '/usr/sbin/nginx',
  '/opt/app/bin/server',
  '/usr/bin/kubectl',
  '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
  '/tmp/x/run.sh',
];
const BINARY_PATTERNS = ['^/usr/bin/(curl|wget)$', '(?i)python', '\\.sh$', '^/(usr/)?s?bin/'];

const ARGUMENTS = [
  '-s https://cilium.io --retry 3',
  'mysql -u root --password=hunter2 -h db.internal app',
  '-c "export TOKEN=abc123; ./deploy --api-key=sk_live_0123456789"',
  'run --rm -e AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY image',
];
const REDACT = ['(?:--password|-p)[\\s=]+(\\S+)', '(?i)(?:token|api[-_]?key|secret[a-z_]*)[=:]\\s*(\\S+)'];

const HOSTILE = `${'a'.repeat(4096)}!`;
const HOSTILE_PATTERN = '(\\S+\\s?)+$x';

export async function register(bench: Bench): Promise<void> {
  const re2 = BINARY_PATTERNS.map(compileRe2);
  const v8 = BINARY_PATTERNS.map((p) => new RegExp(p.replace('(?i)', ''), p.startsWith('(?i)') ? 'i' : ''));
  const redactor = Redactor.compile([{ redact: REDACT }]);
  if (!redactor.ok) throw new Error('bad redaction filter');
  const processes: Process[] = ARGUMENTS.map((a) => ({ binary: '/usr/bin/env', arguments: a }));
  const hostile = compileRe2(HOSTILE_PATTERN);
  let sink = 0;

  bench.add(
    `binary_regex test, RE2 engine (${BINARY_PATTERNS.length} patterns x ${BINARIES.length} binaries)`,
    () => {
      for (const re of re2) for (const b of BINARIES) sink += re.test(b) ? 1 : 0;
    },
  );
  bench.add(`binary_regex test, V8 RegExp for comparison (same 32 tests)`, () => {
    for (const re of v8) for (const b of BINARIES) sink += re.test(b) ? 1 : 0;
  });
  bench.add(`redact ${ARGUMENTS.length} argument strings (2 regexes, Tetragon's redactString)`, () => {
    for (const p of processes) sink += redactor.value.redactProcess(p).arguments!.length;
  });
  bench.add(`hostile: ${HOSTILE_PATTERN} on 4,097 characters (V8: exponential)`, () => {
    sink += hostile.test(HOSTILE) ? 1 : 0;
  });
  if (sink < 0) throw new Error('unreachable');
}
