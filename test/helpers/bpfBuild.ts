// Real BPF builds for tests: vmlinux.h from this machine's kernel BTF (bpftool); objects are built by the
// product's own compileProgram (engine/src/buildBpf.ts).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let headerDir: string | undefined;

/** A folder holding vmlinux.h generated from /sys/kernel/btf/vmlinux, made once per process. */
export function vmlinuxHeaderDir(): string {
  if (headerDir) return headerDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-vmlinux-'));
  const header = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  fs.writeFileSync(path.join(dir, 'vmlinux.h'), header);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  headerDir = dir;
  return dir;
}

/** The snippet body with each placeholder replaced by its default text, as VS Code inserts it. */
export function expandSnippet(body: string[]): string {
  return body
    .join('\n')
    .replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\d+/g, '');
}
