// Compiling a program for a target: vmlinux.h from the target's own BTF (fetched once per kernel build,
// keyed by its checksum), then clang -target bpf. clang's messages are parsed for the editor's Problems.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SshConnection } from './sshConnection';

export interface TargetBtf {
  /** Folder with vmlinux.btf (the raw BTF) and vmlinux.h. */
  dir: string;
  btfFile: string;
  checksum: string;
}

export interface CompilerMessage {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
}

export interface CompileResult {
  ok: boolean;
  messages: CompilerMessage[];
  output: string;
}

const ARCH: Record<string, string> = {
  x86_64: 'x86',
  aarch64: 'arm64',
  arm64: 'arm64',
  s390x: 's390',
  ppc64le: 'powerpc',
  riscv64: 'riscv',
};

export function targetArch(machine: string): string {
  return ARCH[machine] ?? machine;
}

/** The target's BTF and a vmlinux.h made from it, cached under `cacheRoot/<sha256>/`. */
export async function fetchTargetBtf(conn: SshConnection, cacheRoot: string): Promise<TargetBtf> {
  const { execa } = await import('execa');
  // The checksum is computed on the target, so a cached kernel costs one small round trip.
  const sum = (
    await conn.check(['sh', '-c', 'sha256sum /sys/kernel/btf/vmlinux 2>/dev/null || busybox sha256sum /sys/kernel/btf/vmlinux'])
  ).split(/\s+/)[0];
  if (!/^[0-9a-f]{64}$/.test(sum)) throw new Error(`could not checksum the target's BTF: ${sum}`);
  const dir = path.join(cacheRoot, sum);
  const btfFile = path.join(dir, 'vmlinux.btf');
  const header = path.join(dir, 'vmlinux.h');
  if (fs.existsSync(header)) return { dir, btfFile, checksum: sum };
  fs.mkdirSync(dir, { recursive: true });
  let data: Buffer;
  try {
    data = await conn.readBinary(['cat', '/sys/kernel/btf/vmlinux']);
  } catch (err) {
    throw new Error(`reading the target's BTF failed: ${(err as Error).message}`, { cause: err });
  }
  if (data.length === 0) throw new Error("reading the target's BTF failed: it is empty");
  const got = crypto.createHash('sha256').update(data).digest('hex');
  if (got !== sum) throw new Error('the BTF read from the target does not match its checksum; try again');
  fs.writeFileSync(btfFile, data);
  const dump = await execa('bpftool', ['btf', 'dump', 'file', btfFile, 'format', 'c'], { reject: false, maxBuffer: 512 * 1024 * 1024 });
  if (dump.exitCode !== 0) throw new Error(`bpftool could not dump the target's BTF: ${dump.stderr}`);
  fs.writeFileSync(`${header}.tmp`, dump.stdout as string);
  fs.renameSync(`${header}.tmp`, header);
  return { dir, btfFile, checksum: sum };
}

/** `file:line:col: error: message` lines of clang. */
export function parseCompilerMessages(stderr: string): CompilerMessage[] {
  const out: CompilerMessage[] = [];
  for (const m of stderr.matchAll(/^(.+?):(\d+):(\d+): (error|warning|note): (.*)$/gm)) {
    out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), severity: m[4] as CompilerMessage['severity'], message: m[5] });
  }
  return out;
}

export interface CompileOptions {
  /** Extra -D definitions; each value is passed as a C string literal (the tests name their target files so). */
  defines?: Record<string, string>;
}

/**
 * clang's arguments for a CO-RE object: the target's vmlinux.h folder and the source's own folder on the
 * include path, __TARGET_ARCH_ for libbpf's BPF_PROG/PT_REGS macros from the target's `uname -m`.
 */
export function clangArgs(source: string, output: string, includeDir: string, machine: string, options: CompileOptions = {}): string[] {
  const defines = Object.entries(options.defines ?? {}).map(([k, v]) => `-D${k}=${JSON.stringify(v)}`);
  return [
    '-O2',
    '-g',
    '-target',
    'bpf',
    `-D__TARGET_ARCH_${targetArch(machine)}`,
    '-I',
    includeDir,
    '-I',
    path.dirname(source),
    ...defines,
    '-c',
    source,
    '-o',
    output,
  ];
}

export async function compileProgram(
  source: string,
  output: string,
  includeDir: string,
  machine: string,
  options: CompileOptions = {},
): Promise<CompileResult> {
  const { execa } = await import('execa');
  const r = await execa('clang', clangArgs(source, output, includeDir, machine, options), { reject: false, encoding: 'utf8' });
  if (r.code === 'ENOENT')
    throw new Error('clang was not found: install it (apt-get install clang), with the libbpf headers (libbpf-dev).');
  const stderr = r.stderr as string;
  return { ok: r.exitCode === 0, messages: parseCompilerMessages(stderr), output: stderr };
}
