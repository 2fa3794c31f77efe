// The project configuration file, bpf-lsm.config.json: what a project checks against and how, shared by
// the CLI (found by walking up from each linted file, or --config) and the editor (the workspace folder's
// root). Its JSON schema is schemas/bpf-lsm.config.schema.json (test/unit/projectConfig.test.ts keeps the
// two in step). Read bounded; anything malformed is one line naming the file, never a stack trace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSeverity, type Severity } from '../../../common/severity';
import { isCheckCode, unknownCodesMessage, type CheckCode } from '../analysis/checks/registry';
import { readTextFile, type ReadLimit } from '../ctext/boundedRead';

export const CONFIG_FILE_NAME = 'bpf-lsm.config.json';

/** A real one is a few hundred bytes. */
const CONFIG_LIMIT: ReadLimit = { what: 'a bpf-lsm.config.json', maxBytes: 1024 * 1024 };

export interface ProjectConfig {
  /** The file it was read from (absolute). */
  file: string;
  /** Kernel release to check against (`6.12`, `6.1.20`). */
  kernel?: string;
  disabledChecks?: CheckCode[];
  severity?: Partial<Record<CheckCode, Severity>>;
  /** Absolute (given relative to the config file). */
  hookDefsPath?: string;
  /** Absolute (given relative to the config file). */
  btfPath?: string;
  /** Absolute (given relative to the config file): where local headers are looked for (analysis/includeReader.ts). */
  includePaths?: string[];
  /** For the policy tests (bpf-lsm-test, the Testing view): the test-VM kernels files without their own run on. */
  test?: { kernels?: string[] };
}

/** A config file that cannot be used; the message is one line and starts with the file's name. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const FIELDS = ['$schema', 'kernel', 'disabledChecks', 'severity', 'hookDefsPath', 'btfPath', 'includePaths', 'test'];

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/** Checks `text` (the content of `file`) and returns the configuration, paths made absolute. */
export function parseProjectConfig(file: string, text: string): ProjectConfig {
  const fail = (why: string): never => {
    throw new ConfigError(`${file}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return fail(`not valid JSON (${oneLine(err)})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('must be a JSON object');
  const r = raw as Record<string, unknown>;
  const unknownFields = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (unknownFields.length > 0) fail(`unknown field(s) ${unknownFields.join(', ')}; known: ${FIELDS.slice(1).join(', ')}`);
  const base = path.dirname(path.resolve(file));
  const has = (key: string) => Object.hasOwn(r, key);
  const string = (key: string): string => {
    const v = r[key];
    if (typeof v !== 'string' || v.trim() === '') fail(`"${key}" must be a non-empty string`);
    return (v as string).trim();
  };
  const strings = (value: unknown, where: string): string[] => {
    if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s.trim() !== ''))
      fail(`"${where}" must be an array of non-empty strings`);
    return (value as string[]).map((s) => s.trim());
  };
  const config: ProjectConfig = { file: path.resolve(file) };
  if (has('kernel')) config.kernel = string('kernel');
  if (has('hookDefsPath')) config.hookDefsPath = path.resolve(base, string('hookDefsPath'));
  if (has('btfPath')) config.btfPath = path.resolve(base, string('btfPath'));
  if (has('includePaths')) config.includePaths = strings(r.includePaths, 'includePaths').map((p) => path.resolve(base, p));
  if (has('disabledChecks')) {
    const codes = strings(r.disabledChecks, 'disabledChecks');
    const unknown = codes.filter((c) => !isCheckCode(c));
    if (unknown.length > 0) fail(`"disabledChecks": ${unknownCodesMessage(unknown)}`);
    config.disabledChecks = codes as CheckCode[];
  }
  if (has('severity')) {
    const s = r.severity;
    if (!s || typeof s !== 'object' || Array.isArray(s)) fail('"severity" must be an object of check code to severity');
    const entries = Object.entries(s as Record<string, unknown>);
    const unknown = entries.map(([c]) => c).filter((c) => !isCheckCode(c));
    if (unknown.length > 0) fail(`"severity": ${unknownCodesMessage(unknown)}`);
    const bad = entries.find(([, v]) => !isSeverity(v));
    if (bad) fail(`"severity": "${bad[0]}" must be error, warning, information or hint`);
    config.severity = Object.fromEntries(entries) as Partial<Record<CheckCode, Severity>>;
  }
  if (has('test')) {
    const t = r.test;
    if (!t || typeof t !== 'object' || Array.isArray(t)) fail('"test" must be an object');
    const extra = Object.keys(t as object).filter((k) => k !== 'kernels');
    if (extra.length > 0) fail(`"test": unknown field(s) ${extra.join(', ')}; known: kernels`);
    config.test = Object.hasOwn(t as object, 'kernels') ? { kernels: strings((t as Record<string, unknown>).kernels, 'test.kernels') } : {};
  }
  return config;
}

/** Reads and checks a config file (bounded: a FIFO or /dev/zero is refused, not waited on). */
export function readProjectConfig(file: string): ProjectConfig {
  let text: string;
  try {
    text = readTextFile(file, CONFIG_LIMIT);
  } catch (err) {
    throw new ConfigError(`${file}: ${oneLine(err)}`);
  }
  return parseProjectConfig(file, text);
}

/** The nearest bpf-lsm.config.json in `dir` or a directory above it. */
export function findProjectConfig(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, CONFIG_FILE_NAME);
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: go up
    }
    if (path.dirname(d) === d) return undefined;
  }
}
