// The kernels policy tests run on when a file names none: the project's `test.kernels`
// (bpf-lsm.config.json or the editor's setting), else every kernel whose VM image is built, else all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectConfig, readProjectConfig, type ProjectConfig } from '../../server/src/config/projectConfig';
import { manifestPath } from '../../vm/src/image';
import { KERNEL_SERIES } from '../../vm/src/kernels';

/** The nearest bpf-lsm.config.json above a file or folder, read and checked (ConfigError when it is bad). */
export function projectConfigFor(start: string): ProjectConfig | undefined {
  const file = findProjectConfig(fs.statSync(start, { throwIfNoEntry: false })?.isDirectory() ? start : path.dirname(start));
  return file ? readProjectConfig(file) : undefined;
}

/** The config's test.kernels for a file or folder (the nearest bpf-lsm.config.json above it). */
export function configuredKernels(start: string): string[] | undefined {
  return projectConfigFor(start)?.test?.kernels;
}

export function builtKernels(): string[] {
  return KERNEL_SERIES.filter((k) => fs.existsSync(manifestPath(k)));
}

export function defaultTestKernels(configured?: readonly string[]): string[] {
  if (configured && configured.length > 0) return [...configured];
  const built = builtKernels();
  return built.length > 0 ? built : [...KERNEL_SERIES];
}

/** `--kernel 6.1,6.12` or `all` → the list; undefined when not given. */
export function parseKernelList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'all') return [...KERNEL_SERIES];
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error(`--kernel needs a list such as 6.1,6.12 or 'all'`);
  for (const k of list) if (!/^\d+\.\d+$/.test(k)) throw new Error(`--kernel: '${k}' is not a kernel series such as 6.12`);
  return [...new Set(list)];
}
