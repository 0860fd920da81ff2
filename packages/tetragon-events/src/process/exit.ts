/** Linux signal names by number (x86_64 and arm64 agree on 1..31). */
const SIGNALS = [
  '',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

export function signalName(signal: number): string {
  return SIGNALS[signal] ?? '';
}

/**
 * ProcessExit's status and signal from the kernel's `task->exit_code`, as Tetragon derives them:
 * status is the high byte; the low byte names the signal, without the core-dump bit (0x80).
 */
export function exitStatus(exitCode: number): { status: number; signal: string } {
  const low = exitCode & 0xff;
  const signal = low & 0x80 ? low & 0x7f : low;
  return { status: (exitCode >>> 8) & 0xff, signal: signalName(signal) };
}
