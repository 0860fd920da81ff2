import { execFile } from 'node:child_process';
import { CiliaryError } from '@ciliary/core';

/** An iproute2 or sysctl command failed; carries what was run and what it said. */
export class NetworkCommandError extends CiliaryError {
  override readonly name = 'NetworkCommandError';
  constructor(
    readonly command: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${command.join(' ')}: ${stderr.trim() || 'failed'}`, options);
  }
}

/** Runs a program and resolves to its stdout; rejects with NetworkCommandError. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<string>;

export const runCommand: CommandRunner = (program, args) =>
  new Promise((resolve, reject) => {
    execFile(program, [...args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new NetworkCommandError([program, ...args], stderr || err.message, { cause: err }));
      else resolve(stdout);
    });
  });
