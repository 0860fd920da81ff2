import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CiliaryError, type Clock } from '@ciliary/core';

export class ExportFileError extends CiliaryError {
  override readonly name = 'ExportFileError';
  constructor(
    readonly filename: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${filename}: ${message}`, options);
  }
}

/** The file writes RotatingFile makes; tests inject short writes and a full disk here. */
export interface RotatingFileIo {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  ftruncateSync(fd: number, length: number): void;
}

const nodeIo: RotatingFileIo = {
  writeSync: (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
};

export interface RotatingFileOptions {
  readonly filename: string;
  readonly clock: Clock;
  /** Tetragon's --export-file-max-size-mb (10 MiB). */
  readonly maxSizeBytes?: number;
  /** Tetragon's --export-file-max-backups (5); 0 keeps every backup. */
  readonly maxBackups?: number;
  /** Tetragon's --export-file-compress: gzip rotated files. */
  readonly compress?: boolean;
  /** Node's fs unless told otherwise. */
  readonly io?: RotatingFileIo;
}

/**
 * An append-only file that rotates by size the way Tetragon's lumberjack writer does: when a
 * write would pass the limit the file is renamed to `<name>-<UTC 2006-01-02T15-04-05.000><ext>`,
 * a new one is started, and backups beyond `maxBackups` are removed (oldest first).
 */
const MIB = 1024 * 1024;
const NEWLINE = Buffer.from('\n');

export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  private readonly maxSize: number;
  private readonly maxBackups: number;
  private readonly io: RotatingFileIo;
  /** A failed write left part of a line that could not be cut off: the next write ends it. */
  private torn = false;

  constructor(private readonly options: RotatingFileOptions) {
    this.io = options.io ?? nodeIo;
    // Tetragon's --export-file-max-size-mb defaults to 10; 0 is lumberjack's own default, 100.
    const size = options.maxSizeBytes ?? 10 * MIB;
    this.maxSize = size === 0 ? 100 * MIB : size;
    this.maxBackups = options.maxBackups ?? 5;
  }

  get filename(): string {
    return this.options.filename;
  }

  write(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > this.maxSize) {
      throw new ExportFileError(
        this.filename,
        `write of ${bytes.length} bytes exceeds the maximum file size ${this.maxSize}`,
      );
    }
    if (this.fd === undefined) {
      this.openExistingOrNew(bytes.length);
      // As lumberjack's mill on open: backups left by an earlier run are compressed and pruned now.
      this.mill();
    } else if (this.size + bytes.length + (this.torn ? 1 : 0) > this.maxSize) this.rotate();
    this.append(this.torn ? Buffer.concat([NEWLINE, bytes]) : bytes);
  }

  /**
   * Writes all of `bytes` (a full disk may take part of a write): the file only ever holds
   * whole lines, so a write that fails part-way is cut back off before the error is thrown.
   */
  private append(bytes: Buffer): void {
    let written = 0;
    try {
      while (written < bytes.length) {
        const n = this.io.writeSync(this.fd!, bytes, written, bytes.length - written);
        if (n <= 0) throw new Error(`write returned ${n}`);
        written += n;
      }
    } catch (err) {
      if (written > 0) this.cutBack(written);
      throw new ExportFileError(this.filename, 'write failed', { cause: err });
    }
    this.size += bytes.length;
    this.torn = false;
  }

  /** Removes the `written` bytes of a failed write, or, failing that, has the next write end them. */
  private cutBack(written: number): void {
    try {
      this.io.ftruncateSync(this.fd!, this.size);
    } catch {
      // The fragment stays as one bad line; starting the next record on a line of its own keeps it.
      this.size += written;
      this.torn = true;
    }
  }

  /** Starts a new file now, keeping the current one as a backup. */
  rotate(): void {
    this.close();
    if (fs.existsSync(this.filename)) {
      fs.renameSync(this.filename, this.backupName());
    }
    this.openNew();
    this.mill();
  }

  /** Compresses uncompressed backups (when asked to) and removes those beyond maxBackups. */
  private mill(): void {
    if (this.options.compress) {
      for (const backup of this.backups()) {
        if (backup.endsWith('.gz')) continue;
        // The compressed backup keeps the log's owner-only mode (a plain write would get 0644).
        fs.writeFileSync(`${backup}.gz`, gzipSync(fs.readFileSync(backup)), { mode: 0o600 });
        fs.unlinkSync(backup);
      }
    }
    this.removeOldBackups();
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Backups of this file, newest first. */
  backups(): string[] {
    const { dir, prefix, ext } = this.parts();
    const pattern = new RegExp(
      `^${escape(prefix)}-(\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\d\\.\\d{3})${escape(ext)}(\\.gz)?$`,
    );
    return fs
      .readdirSync(dir)
      .map((name) => ({ name, m: pattern.exec(name) }))
      .filter((e) => e.m !== null)
      .sort((a, b) => (a.m![1]! < b.m![1]! ? 1 : a.m![1]! > b.m![1]! ? -1 : 0))
      .map((e) => path.join(dir, e.name));
  }

  private openExistingOrNew(writeLength: number): void {
    fs.mkdirSync(path.dirname(this.filename), { recursive: true });
    let existing: fs.Stats | undefined;
    try {
      existing = fs.statSync(this.filename);
    } catch {
      existing = undefined;
    }
    if (!existing) return this.openNew();
    if (existing.size + writeLength >= this.maxSize) return this.rotate();
    this.fd = fs.openSync(this.filename, 'a', 0o600);
    this.size = existing.size;
  }

  private openNew(): void {
    fs.mkdirSync(path.dirname(this.filename), { recursive: true });
    this.fd = fs.openSync(this.filename, 'a', 0o600);
    this.size = 0;
    this.torn = false;
  }

  private removeOldBackups(): void {
    if (this.maxBackups <= 0) return;
    for (const old of this.backups().slice(this.maxBackups)) fs.rmSync(old, { force: true });
  }

  private parts(): { dir: string; prefix: string; ext: string } {
    const dir = path.dirname(this.filename);
    const base = path.basename(this.filename);
    const ext = path.extname(base);
    return { dir, prefix: base.slice(0, base.length - ext.length), ext };
  }

  private backupName(): string {
    const { dir, prefix, ext } = this.parts();
    const stamp = new Date(this.options.clock.now()).toISOString().slice(0, 23).replace(/:/g, '-');
    return path.join(dir, `${prefix}-${stamp}${ext}`);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
