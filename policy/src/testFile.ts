// Policy test files (*.lsmtest.yaml): found, read within bounds, parsed with their line numbers, checked
// against schemas/lsmtest.schema.json (the schema editors use) and then for what a schema cannot say
// (unique case names, valid IP addresses, expectations that contradict their action), and turned into the
// model of model.ts. Nothing here throws on a bad file: every problem is a FileProblem that names the
// field, its line and what is expected there.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { readBoundedFile, type ReadLimit } from '../../server/src/ctext/boundedRead';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { distance } from 'fastest-levenshtein';
import {
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { REPO_ROOT } from '../../common/repoRoot';
import { regexProblem } from './expectations';
import type { Action, Expectation, FileProblem, HelperAction, PolicyCase, PolicyTestFile, SourcePos } from './model';

/** The suffix of a policy test file. */
export const POLICY_TEST_SUFFIX = '.lsmtest.yaml';
/** The schema editors validate against (package.json's yamlValidation) and the parser checks with. */
export const POLICY_SCHEMA_PATH = path.join(REPO_ROOT, 'schemas', 'lsmtest.schema.json');
/** A test file is a few kilobytes; this is far above any real one and parses in about a second. */
export const MAX_TEST_FILE_BYTES = 1024 * 1024;
/** Aliases expanded when the YAML is turned into data: enough for sharing, not for a billion laughs. */
const MAX_ALIAS_COUNT = 100;
/** Problems reported per file; the rest are counted. */
const MAX_PROBLEMS = 50;
/** Folders findPolicyTestFiles does not enter. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'out', 'dist', '.cache']);

/** The actions a case may have, in the order messages list them. */
export const ACTION_KINDS = [
  'open',
  'exec',
  'connect',
  'bind',
  'unlink',
  'mkdir',
  'rename',
  'chmod',
  'mount',
  'kill',
  'ptrace',
  'bpf',
  'run',
] as const;
/** The expectation fields that hold when the program never ran (a case without an action has only these). */
const LOAD_FIELDS = new Set(['load', 'verifier']);
const ACCESS_MODES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR'];

export interface ParsedPolicyTestFile {
  file?: PolicyTestFile;
  problems: FileProblem[];
}

type Seg = string | number;
type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  errorMessage?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  definitions?: Record<string, Schema>;
};

// ---------------------------------------------------------------------------------------------------
// The schema

/** An Ajv set up for the policy schema: its annotation keywords (errorMessage, defaultSnippets are for
 * editors) and the `regex` format, checked as JavaScript regular expressions. */
export function policySchemaAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'defaultSnippets', schemaType: 'array' });
  ajv.addFormat('regex', { type: 'string', validate: (s: string) => regexProblem(s) === undefined });
  return ajv;
}

let compiled: { schema: Schema; validate: ValidateFunction } | undefined;

function policySchema(): { schema: Schema; validate: ValidateFunction } {
  if (!compiled) {
    const schema = JSON.parse(fs.readFileSync(POLICY_SCHEMA_PATH, 'utf8')) as Schema;
    compiled = { schema, validate: policySchemaAjv().compile(schema) };
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------------
// Words for messages

/** `cases[2].expect.errno`, `cases[0].expect_on["6.12"]`; the root is `the file`. */
export function fieldName(segs: readonly Seg[]): string {
  let s = '';
  for (const seg of segs) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) s += s ? `.${seg}` : seg;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s || 'the file';
}

/** A user's text in a message: quoted, escaped, and cut at 60 characters. */
function quote(text: string): string {
  const cut = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  // eslint-disable-next-line no-control-regex
  return `'${cut.replace(/[\u0000-\u001f\u007f-\u009f\\']/g, (c) => (c === "'" ? "\\'" : JSON.stringify(c).slice(1, -1)))}'`;
}

/** What a value is, for `got ...`: the source text of a number, a quoted string, `a list`. */
function describe(value: unknown, node?: YamlNode): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const source = isScalar(node) ? node.source : undefined;
    if (source === undefined || source === String(value)) return String(value);
    return typeof value === 'number' ? `${source} (the number ${value})` : `${source} (read as ${value})`;
  }
  return Array.isArray(value) ? 'a list' : 'a map';
}

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** ` (did you mean EPERM?)` for a near miss among `options`, else ''. */
function suggestion(value: unknown, options: readonly unknown[]): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return '';
  const strings = options.filter((o): o is string => typeof o === 'string');
  const folded = strings.find((o) => o.toLowerCase() === value.toLowerCase());
  if (folded) return ` (did you mean ${folded}?)`;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(value.length / 3)) + 1;
  for (const o of strings) {
    const d = distance(o.toLowerCase(), value.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return best ? ` (did you mean ${best}?)` : '';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  null: 'nothing',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

// ---------------------------------------------------------------------------------------------------
// Positions: from a path in the data to the YAML node it came from

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  /** The node at `segs` (or the deepest that exists), and with `key` the key node of that map entry. */
  node(segs: readonly Seg[], key?: string): YamlNode | undefined {
    let cur: unknown = this.doc.contents;
    let found = cur as YamlNode | undefined;
    const all: Seg[] = key === undefined ? [...segs] : [...segs, key];
    for (let i = 0; i < all.length; i++) {
      if (isAlias(cur)) cur = cur.resolve(this.doc);
      const seg = all[i];
      const last = i === all.length - 1;
      if (isMap(cur)) {
        const pair = cur.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return found;
        if (last && key !== undefined) return (pair.key as YamlNode) ?? found;
        cur = pair.value ?? pair.key;
      } else if (isSeq(cur) && typeof seg === 'number') {
        cur = cur.items[seg];
      } else return found;
      if (cur && typeof cur === 'object' && 'range' in cur) found = cur as YamlNode;
    }
    return found;
  }

  posOf(node: YamlNode | undefined): SourcePos {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  problem(segs: readonly Seg[], message: string, key?: string): FileProblem {
    const { line, column } = this.posOf(this.node(segs, key));
    return { file: this.file, line, column, message };
  }
}

// ---------------------------------------------------------------------------------------------------
// Schema errors, explained

/** A schema and every schema inside it (refs followed), for telling which branch an error came from. */
function subtree(root: Schema, start: Schema): Set<unknown> {
  const seen = new Set<unknown>();
  const stack: unknown[] = [start];
  while (stack.length > 0) {
    let s = stack.pop();
    if (!s || typeof s !== 'object' || seen.has(s)) continue;
    seen.add(s);
    const ref = (s as Schema).$ref;
    if (typeof ref === 'string') {
      s = resolveRef(root, s as Schema);
      stack.push(s);
    }
    for (const v of Object.values(s as object)) if (v && typeof v === 'object') stack.push(v);
  }
  return seen;
}

function resolveRef(root: Schema, s: Schema): Schema {
  for (let i = 0; i < 8 && typeof s.$ref === 'string'; i++) {
    const name = /^#\/definitions\/(.+)$/.exec(s.$ref)?.[1];
    const target = name !== undefined ? root.definitions?.[name] : undefined;
    if (!target) break;
    s = target;
  }
  return s;
}

/** Whether a branch of a oneOf/anyOf is for values of this JSON type (a string branch for a string). */
function fitsShape(root: Schema, branch: Schema, value: unknown): boolean {
  const b = resolveRef(root, branch);
  const t = jsonType(value);
  if (b.type !== undefined) {
    const types = Array.isArray(b.type) ? b.type : [b.type];
    return types.includes(t) || (t === 'integer' && types.includes('number'));
  }
  if (b.enum) return b.enum.some((v) => jsonType(v) === t);
  return true;
}

/** Schema errors by their place in the data, to find those at or under a path without a scan. */
class ErrorTree {
  private readonly exact = new Map<string, ErrorObject[]>();
  private readonly children = new Map<string, Set<string>>();

  constructor(errors: ErrorObject[]) {
    for (const e of errors) {
      const list = this.exact.get(e.instancePath);
      if (list) list.push(e);
      else this.exact.set(e.instancePath, [e]);
      let child = e.instancePath;
      while (child !== '') {
        const parent = child.slice(0, child.lastIndexOf('/'));
        const set = this.children.get(parent);
        if (set?.has(child)) break;
        if (set) set.add(child);
        else this.children.set(parent, new Set([child]));
        child = parent;
      }
    }
  }

  at(instancePath: string): ErrorObject[] {
    return this.exact.get(instancePath) ?? [];
  }

  under(instancePath: string): ErrorObject[] {
    const out: ErrorObject[] = [];
    const stack = [instancePath];
    while (stack.length > 0) {
      const p = stack.pop()!;
      out.push(...this.at(p));
      for (const c of this.children.get(p) ?? []) stack.push(c);
    }
    return out;
  }
}

interface SchemaProblem {
  segs: Seg[];
  key?: string;
  message: string;
}

function segsOf(instancePath: string, data: unknown): Seg[] {
  if (instancePath === '') return [];
  const segs: Seg[] = [];
  let cur = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Seg = Array.isArray(cur) ? Number(part) : part;
    segs.push(seg);
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg as string] : undefined;
  }
  return segs;
}

/**
 * One message per real problem. A oneOf/anyOf that fails reports every branch's errors; when the value
 * has the shape of exactly one branch (a map where the string-or-map forms are), that branch's errors
 * are the explanation, else the combinator's errorMessage is.
 */
function explainSchemaErrors(
  errors: ErrorObject[],
  root: Schema,
  data: unknown,
  loc: Locator,
): { problems: SchemaProblem[]; more: number } {
  const tree = new ErrorTree(errors);
  const dropped = new Set<ErrorObject>();
  /** A form's own errors say what the whole field expects: `connect` is "ADDRESS:PORT", or {...}. */
  const inherited = new Map<string, Map<Schema, string>>();
  const subtrees = new Map<Schema, Set<unknown>>();
  const inside = (b: Schema) => {
    let set = subtrees.get(b);
    if (!set) subtrees.set(b, (set = subtree(root, b)));
    return set;
  };
  for (const e of errors) {
    if (e.propertyName !== undefined) dropped.add(e); // inside propertyNames: the propertyNames error says it
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') continue;
    const branches = (e.schema as Schema[]).map((b) => resolveRef(root, b));
    const dropOwned = () => {
      const sets = branches.map(inside);
      for (const x of tree.under(e.instancePath)) if (x !== e && sets.some((set) => set.has(x.parentSchema))) dropped.add(x);
    };
    const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
    if (Array.isArray(passing)) {
      dropOwned();
      continue;
    }
    const fitting = branches.filter((b) => fitsShape(root, b, e.data));
    if (fitting.length === 1) {
      dropped.add(e);
      const message = (e.parentSchema as Schema | undefined)?.errorMessage;
      if (message !== undefined) {
        const here = inherited.get(e.instancePath) ?? new Map<Schema, string>();
        here.set(fitting[0], message);
        inherited.set(e.instancePath, here);
      }
      for (const x of tree.at(e.instancePath))
        if (branches.includes(x.parentSchema as Schema) && x.parentSchema !== fitting[0]) dropped.add(x);
    } else {
      dropOwned();
    }
  }

  const out: SchemaProblem[] = [];
  let more = 0;
  for (const e of errors) {
    if (dropped.has(e)) continue;
    // Only the first ones are shown: explaining each costs a walk to its node.
    if (out.length >= MAX_PROBLEMS * 2) {
      more++;
      continue;
    }
    const segs = segsOf(e.instancePath, data);
    const f = fieldName(segs);
    const parent = (e.parentSchema ?? {}) as Schema;
    const expected = parent.errorMessage ?? inherited.get(e.instancePath)?.get(parent);
    const got = describe(e.data, loc.node(segs));
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'type':
        out.push({ segs, message: `${f}: got ${got}, ${expected ?? `expected ${typeWords(params.type)}`}` });
        break;
      case 'enum': {
        const allowed = params.allowedValues as unknown[];
        const list =
          allowed.length <= 8
            ? `${allowed.slice(0, -1).map(formatValue).join(', ')}${allowed.length > 1 ? ' or ' : ''}${formatValue(allowed[allowed.length - 1])}`
            : 'one of the listed values';
        out.push({ segs, message: `${f}: got ${got}, ${expected ?? `expected ${list}`}${suggestion(e.data, allowed)}` });
        break;
      }
      case 'required': {
        const missing = String(params.missingProperty);
        out.push({ segs, message: `${segs.length ? `${f}: ` : ''}${missing} is missing` });
        break;
      }
      case 'additionalProperties': {
        const extra = String(params.additionalProperty);
        const known = Object.keys(parent.properties ?? {});
        const hint = suggestion(extra, known) || `; expected ${known.join(', ')}`;
        out.push({ segs, key: extra, message: `${f}: unknown field ${quote(extra)}${hint}` });
        break;
      }
      case 'propertyNames': {
        const name = String(params.propertyName);
        const names = resolveRef(root, (e.schema ?? {}) as Schema);
        out.push({
          segs,
          key: name,
          message: `${f}: got the key ${quote(name)}, ${names.errorMessage ?? 'which is not allowed here'}`,
        });
        break;
      }
      case 'pattern':
        out.push({ segs, message: `${f}: got ${got}, ${expected ?? `expected text matching /${String(params.pattern)}/`}` });
        break;
      case 'format':
        out.push({
          segs,
          message: `${f}: ${got} is not a valid regular expression: ${regexProblem(String(e.data)) ?? 'it does not compile'}`,
        });
        break;
      case 'minimum':
      case 'maximum': {
        const range =
          parent.minimum !== undefined && parent.maximum !== undefined
            ? `${typeWords(parent.type)} from ${parent.minimum} to ${parent.maximum}`
            : `${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`;
        out.push({ segs, message: `${f}: got ${got}, expected ${range}` });
        break;
      }
      case 'minLength':
      case 'minItems':
      case 'minProperties':
        out.push({
          segs,
          message: `${f}: is empty, ${expected ?? `expected at least ${String(params.limit)} ${e.keyword === 'minLength' ? 'character' : e.keyword === 'minItems' ? 'item' : 'field'}${params.limit === 1 ? '' : 's'}`}`,
        });
        break;
      case 'maxProperties':
        out.push({ segs, message: `${f}: got ${got} with fields, ${expected ?? 'expected an empty map'}` });
        break;
      case 'uniqueItems': {
        const [i, j] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
        out.push({ segs: [...segs, j], message: `${fieldName([...segs, j])}: repeats ${fieldName([...segs, i])}` });
        break;
      }
      case 'oneOf':
      case 'anyOf': {
        const passing = params.passingSchemas;
        const branches = (e.schema as Schema[]).map((b) => resolveRef(root, b));
        if (Array.isArray(passing)) {
          const names = passing.map((i: number) => branches[i]?.required?.[0]).filter((n): n is string => typeof n === 'string');
          if (names.length === passing.length && names.length > 1) {
            out.push({
              segs,
              key: names[1],
              message: `${f}: has ${names.length} actions (${names.join(', ')}); ${expected ?? 'give one'}`,
            });
            break;
          }
        }
        const structural = branches.every((b) => b.type === undefined && b.enum === undefined && b.$ref === undefined);
        out.push({ segs, message: `${f}: ${structural ? '' : `got ${got}, `}${expected ?? 'does not match any of its forms'}` });
        break;
      }
      default:
        out.push({ segs, message: `${f}: ${e.message ?? 'is not valid'}` });
    }
  }
  return { problems: out, more };
}

// ---------------------------------------------------------------------------------------------------
// Building the model (on data the schema accepted), with the checks a schema cannot make

type Raw = Record<string, unknown>;

export interface SocketAddress {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
}

/**
 * A connect/bind address: "127.0.0.1:8080", "[::1]:8080" or {address, port, protocol}; else what is
 * wrong with it (`at`: the field of the map form).
 */
export function parseSocketAddress(raw: unknown): SocketAddress | { problem: string; at?: 'address' | 'port' } {
  let address: string;
  let port: number;
  let bracketed: boolean;
  let protocol: 'tcp' | 'udp' = 'tcp';
  const isMapForm = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  if (typeof raw === 'string') {
    const m = /^\[([^\]]*)\]:(\d+)$/.exec(raw) ?? /^([^:[\]]*):(\d+)$/.exec(raw);
    if (!m) {
      const v6 = raw.split(':').length > 2 && !raw.startsWith('[');
      return {
        problem: v6
          ? `write an IPv6 address in brackets, like [::1]:8080 (got ${quote(raw)})`
          : `got ${quote(raw)}, expected ADDRESS:PORT like 127.0.0.1:8080 or [::1]:8080`,
      };
    }
    bracketed = raw.startsWith('[');
    address = m[1];
    port = Number(m[2]);
  } else if (isMapForm) {
    const o = raw as Raw;
    const a = typeof o.address === 'string' ? o.address : '';
    bracketed = a.startsWith('[') && a.endsWith(']');
    address = bracketed ? a.slice(1, -1) : a;
    port = typeof o.port === 'number' ? o.port : NaN;
    if (o.protocol === 'udp') protocol = 'udp';
  } else return { problem: `got ${describe(raw)}, expected ADDRESS:PORT like 127.0.0.1:8080 or [::1]:8080, or {address, port, protocol}` };
  const family = net.isIP(address);
  const at = isMapForm ? ('address' as const) : undefined;
  if (family === 0) return { problem: `${quote(address)} is not an IPv4 or IPv6 address (host names are not resolved)`, at };
  if (family === 4 && bracketed) return { problem: `brackets are for IPv6 addresses: write ${address}, not [${address}]`, at };
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { problem: `port ${Number.isNaN(port) ? 'missing' : port} is not from 1 to 65535`, at: isMapForm ? 'port' : undefined };
  return { address, port, protocol, family: family === 6 ? 6 : 4 };
}

class Builder {
  readonly problems: FileProblem[] = [];

  constructor(
    private readonly loc: Locator,
    private readonly dir: string,
  ) {}

  private report(segs: readonly Seg[], message: string, key?: string): void {
    this.problems.push(this.loc.problem(segs, message, key));
  }

  /** A mode: an octal string, a number, or an unquoted 0755 (a decimal 755 to YAML 1.2, meant as octal). */
  private mode(value: unknown, segs: Seg[]): number {
    if (typeof value === 'string') return parseInt(value.replace(/^0o/, ''), 8);
    const node = this.loc.node(segs);
    const source = isScalar(node) ? node.source : undefined;
    if (typeof source === 'string' && /^0[0-7]+$/.test(source)) return parseInt(source, 8);
    return value as number;
  }

  private socket(kind: 'connect' | 'bind', raw: unknown, segs: Seg[]): HelperAction {
    const r = parseSocketAddress(raw);
    if ('problem' in r) {
      const at = r.at ? [...segs, r.at] : segs;
      this.report(at, `${fieldName(at)}: ${r.problem}`);
      return { kind, address: '', port: 0, protocol: 'tcp', family: 4 };
    }
    return { kind, ...r };
  }

  private action(kind: (typeof ACTION_KINDS)[number], raw: unknown, segs: Seg[]): Action {
    const o = (raw && typeof raw === 'object' ? raw : {}) as Raw;
    switch (kind) {
      case 'open': {
        if (typeof raw === 'string') return { kind, path: raw, flags: ['O_RDONLY'] };
        const given =
          o.flags === undefined
            ? ['O_RDONLY']
            : Array.isArray(o.flags)
              ? (o.flags as string[])
              : String(o.flags)
                  .split('|')
                  .map((f) => f.trim());
        const flags = [...new Set(given)];
        const modes = flags.filter((f) => ACCESS_MODES.includes(f));
        if (modes.length > 1)
          this.report(
            [...segs, 'flags'],
            `${fieldName([...segs, 'flags'])}: ${modes.join(' and ')} together; give one of ${ACCESS_MODES.join(', ')}`,
          );
        return { kind, path: String(o.path), flags };
      }
      case 'exec':
        return typeof raw === 'string'
          ? { kind, path: raw, args: [] }
          : { kind, path: String(o.path), args: ((o.args as string[]) ?? []).map(String) };
      case 'connect':
      case 'bind':
        return this.socket(kind, raw, segs);
      case 'unlink':
        return { kind, path: String(raw) };
      case 'mkdir':
        return typeof raw === 'string'
          ? { kind, path: raw, mode: 0o755 }
          : { kind, path: String(o.path), mode: o.mode === undefined ? 0o755 : this.mode(o.mode, [...segs, 'mode']) };
      case 'rename':
        return { kind, from: String(o.from), to: String(o.to) };
      case 'chmod':
        return { kind, path: String(o.path), mode: this.mode(o.mode, [...segs, 'mode']) };
      case 'mount':
        return {
          kind,
          source: (o.source as string | undefined) ?? 'none',
          target: String(o.target),
          fstype: (o.type as string | undefined) ?? 'tmpfs',
        };
      case 'kill':
        return { kind, signal: typeof raw === 'string' ? raw : String(o.signal) };
      case 'ptrace':
        return { kind };
      case 'bpf':
        return { kind, map: typeof raw === 'string' ? 'array' : (o.map as 'array' | 'hash') };
      case 'run':
        return { kind, command: String(raw) };
    }
  }

  /** An expectation the schema accepted, checked against the case's action. */
  private expectation(raw: unknown, segs: Seg[], action: Action | undefined): Expectation {
    const f = fieldName(segs);
    const short = typeof raw === 'string';
    let e: Expectation = {};
    if (raw === 'allowed') e = { allowed: true };
    else if (raw === 'denied') e = { errno: 'EPERM' };
    else {
      const o = raw as Raw;
      if (o.allowed === true) e.allowed = true;
      for (const k of ['errno', 'stdout', 'stderr', 'trace', 'verifier', 'kernel_warning'] as const)
        if (typeof o[k] === 'string') e[k] = o[k] as string;
      if (typeof o.exit === 'number') e.exit = o.exit;
      if (o.load === 'loads' || o.load === 'rejected') e.load = o.load;
    }
    // Where a problem with field k is shown: the field itself, or the whole of `expect: denied`.
    const at = (k: string): Seg[] => (short ? segs : [...segs, k]);
    const actionFields = Object.keys(e).filter((k) => !LOAD_FIELDS.has(k));

    if (e.allowed && e.errno !== undefined) this.report(at('errno'), `${f}: allowed and errno ${e.errno} contradict; give one of them`);
    if (e.load === 'rejected') {
      if (actionFields.length > 0)
        this.report(
          at(actionFields[0]),
          `${f}: with load: rejected the program never runs, so ${actionFields.join(', ')} cannot be checked; keep load and verifier`,
        );
    } else if (e.verifier !== undefined) {
      this.report(
        at('verifier'),
        `${fieldName(at('verifier'))}: the verifier log is only checked when the load is expected to fail: add load: rejected`,
      );
    }
    if (!action) {
      if (actionFields.length > 0)
        this.report(
          segs,
          `${f}: the case has no action, so only load and verifier can be expected; add an action (${ACTION_KINDS.join(', ')})`,
        );
      return e;
    }
    if (action.kind === 'run' && e.errno !== undefined)
      this.report(
        at('errno'),
        raw === 'denied'
          ? `${f}: denied means errno EPERM, which a run command does not report; expect its exit status and stderr, like { exit: 1, stderr: "Operation not permitted" }`
          : `${fieldName(at('errno'))}: a run command has no errno; expect its exit status and stderr instead`,
      );
    for (const k of ['stdout', 'stderr'] as const)
      if (e[k] !== undefined && action.kind !== 'run')
        this.report(at(k), `${fieldName(at(k))}: only a run command's output is captured, not ${action.kind}'s; use run: to check output`);
    if (e.exit !== undefined && action.kind !== 'run' && action.kind !== 'exec')
      this.report(
        at('exit'),
        `${fieldName(at('exit'))}: ${action.kind} has no exit status (only run and exec do); expect errno or allowed`,
      );
    return e;
  }
  policyCase(raw: Raw, i: number): PolicyCase {
    const segs: Seg[] = ['cases', i];
    const kinds = ACTION_KINDS.filter((k) => raw[k] !== undefined);
    const action = kinds.length === 1 ? this.action(kinds[0], raw[kinds[0]], [...segs, kinds[0]]) : undefined;
    const c: PolicyCase = { name: String(raw.name), pos: this.loc.posOf(this.loc.node(segs)), expectOn: {} };
    if (action) c.action = action;
    if (raw.expect !== undefined) c.expect = this.expectation(raw.expect, [...segs, 'expect'], action);
    if (raw.expect_on && typeof raw.expect_on === 'object') {
      const onNode = this.loc.node([...segs, 'expect_on']);
      const entries: [string, Expectation][] = [];
      for (const [k, v] of Object.entries(raw.expect_on as Raw)) {
        // An unquoted 6.10 is the number 6.1 to YAML: the source text says which series was meant.
        const keyNode = isMap(onNode)
          ? onNode.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === k)?.key
          : undefined;
        const source = isScalar(keyNode) && typeof keyNode.value === 'number' ? keyNode.source : undefined;
        if (source !== undefined && source !== k)
          this.report(
            [...segs, 'expect_on'],
            `${fieldName([...segs, 'expect_on'])}: write the kernel series "${source}" in quotes: unquoted, YAML reads ${source} as the number ${k}`,
            k,
          );
        entries.push([k, this.expectation(v, [...segs, 'expect_on', k], action)]);
      }
      c.expectOn = Object.fromEntries(entries);
    }
    return c;
  }

  file(raw: Raw, file: string, casesWithSchemaErrors: Set<number>): PolicyTestFile {
    const cases: PolicyCase[] = [];
    const names = new Map<string, number>();
    const rawCases = Array.isArray(raw.cases) ? (raw.cases as unknown[]) : [];
    rawCases.forEach((rc, i) => {
      const name = rc && typeof rc === 'object' ? (rc as Raw).name : undefined;
      if (typeof name === 'string') {
        const first = names.get(name);
        if (first !== undefined) {
          const line = this.loc.posOf(this.loc.node(['cases', first])).line;
          this.report(
            ['cases', i, 'name'],
            `${fieldName(['cases', i, 'name'])}: ${quote(name)} is already the name of cases[${first}] (line ${line}); case names must be unique`,
          );
        } else names.set(name, i);
      }
      if (!casesWithSchemaErrors.has(i) && rc && typeof rc === 'object' && !Array.isArray(rc)) cases.push(this.policyCase(rc as Raw, i));
    });
    const out: PolicyTestFile = {
      file: path.resolve(file),
      program: path.resolve(this.dir, String(raw.program)),
      programPos: this.loc.posOf(this.loc.node(['program'])),
      cases,
    };
    if (Array.isArray(raw.kernels)) out.kernels = (raw.kernels as unknown[]).map(String);
    if (typeof raw.setup === 'string') out.setup = raw.setup;
    if (typeof raw.teardown === 'string') out.teardown = raw.teardown;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------
// Parsing

/** Every key of every map once (iteratively: the nesting may be deep); yaml's own check is quadratic. */
function duplicateKeys(doc: Document, loc: Locator, file: string): FileProblem[] {
  const problems: FileProblem[] = [];
  const stack: unknown[] = [doc.contents];
  const seen = new Set<unknown>();
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const node = stack.pop();
    if (!node || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (isMap(node)) {
      const keys = new Map<string, YamlNode>();
      for (const pair of node.items) {
        const k = pair.key as YamlNode | null;
        if (isScalar(k)) {
          const text = String(k.value);
          const first = keys.get(text);
          if (first) {
            const { line, column } = loc.posOf(k);
            const lossy = [first, k].find((n) => isScalar(n) && typeof n.value === 'number' && n.source !== undefined && n.source !== text);
            const why = isScalar(lossy) ? ` (unquoted, YAML reads ${lossy.source} as the number ${text}: quote kernel series)` : '';
            problems.push({
              file,
              line,
              column,
              message: `${quote(text)} appears twice in this map (first on line ${loc.posOf(first).line}); keys must be unique${why}`,
            });
          } else keys.set(text, k);
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return problems;
}

function yamlProblems(doc: Document, lines: LineCounter, file: string): FileProblem[] {
  const out: FileProblem[] = [];
  let deep = false;
  for (const e of [...doc.errors, ...doc.warnings]) {
    if (e.code === 'RESOURCE_EXHAUSTION') {
      if (deep) continue;
      deep = true;
    }
    const { line, col } = lines.linePos(e.pos[0]);
    const text = e.code === 'RESOURCE_EXHAUSTION' ? 'nested too deeply' : e.message.split('\n')[0];
    const tag = e.code === 'TAG_RESOLVE_FAILED' ? ' (a policy test is plain YAML: no tags)' : '';
    out.push({ file, line, column: col, message: `YAML: ${text}${tag}` });
  }
  return out;
}

/** Nesting a test file never needs; deeper, yaml's parser slows down (seconds at 1 MiB) before it gives up. */
const MAX_NESTING = 64;

/**
 * Where the text nests more than MAX_NESTING levels, by its tokens: flow collections ([[[...) and block
 * indicators on one line (- - - ...). Linear in the text, so checked before it is parsed.
 */
function tooDeep(text: string): number | undefined {
  let offset = 0;
  let flow = 0;
  let onLine = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind') onLine++;
    else if (type === 'newline') onLine = 0;
    if (flow > MAX_NESTING || onLine > MAX_NESTING) return offset;
    // Markers for the parser (document, scalar, flow end) are not in the text.
    if (token !== CST.DOCUMENT && token !== CST.SCALAR && token !== CST.FLOW_END) offset += token.length;
  }
  return undefined;
}

function positionIn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** Problems in the order of the file, each once, at most MAX_PROBLEMS and a count of the rest. */
function finish(problems: FileProblem[], notShown = 0): FileProblem[] {
  problems.sort((a, b) => a.line - b.line || a.column - b.column || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  const unique = problems.filter((p, i) => i === 0 || p.line !== problems[i - 1].line || p.message !== problems[i - 1].message);
  if (unique.length <= MAX_PROBLEMS && notShown === 0) return unique;
  const shown = Math.min(unique.length, MAX_PROBLEMS);
  const more = unique.length - shown + notShown;
  const last = unique[shown - 1];
  return [...unique.slice(0, shown), { ...last, message: `and ${more} more problem${more === 1 ? '' : 's'}` }];
}

/**
 * Parses a policy test file's text. `file` is its path (problems carry it as given; the model's paths
 * are absolute, the program resolved next to it). Either `file` is set and `problems` is empty, or there
 * are problems. Never throws.
 */
export function parsePolicyTestFile(text: string, file: string): ParsedPolicyTestFile {
  const at = (message: string, line = 1, column = 1): ParsedPolicyTestFile => ({ problems: [{ file, line, column, message }] });
  try {
    if (typeof text !== 'string') return at('not text');
    if (text.length > MAX_TEST_FILE_BYTES)
      return at(
        `the file is ${(text.length / 1024).toFixed(0)} KiB, over the ${MAX_TEST_FILE_BYTES / 1024} KiB limit for a policy test file`,
      );
    if (text.startsWith('\ufeff')) text = text.slice(1);

    const deep = tooDeep(text);
    if (deep !== undefined) {
      const { line, column } = positionIn(text, deep);
      return at(`YAML: nested more than ${MAX_NESTING} levels deep`, line, column);
    }

    const lineCounter = new LineCounter();
    const doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: false,
      logLevel: 'error',
    });
    const loc = new Locator(doc, lineCounter, file);
    const syntax = yamlProblems(doc, lineCounter, file);
    if (syntax.length > 0) return { problems: finish(syntax) };
    const dups = duplicateKeys(doc, loc, file);
    if (dups.length > 0) return { problems: finish(dups) };

    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const why =
        err instanceof ReferenceError && /alias/i.test(err.message) ? 'too many aliases (an alias bomb?)' : (err as Error).message;
      return at(`YAML: ${why}`);
    }
    if (data === null || data === undefined) return at('the file is empty: expected program and cases');

    const { schema, validate } = policySchema();
    const problems: FileProblem[] = [];
    const casesWithSchemaErrors = new Set<number>();
    let notShown = 0;
    if (!validate(data)) {
      for (const e of validate.errors ?? []) {
        const m = /^\/cases\/(\d+)(?:\/|$)/.exec(e.instancePath);
        if (m) casesWithSchemaErrors.add(Number(m[1]));
      }
      const explained = explainSchemaErrors(validate.errors ?? [], schema, data, loc);
      notShown = explained.more;
      for (const p of explained.problems) {
        // "1.2.3.4:70000" fails the schema's pattern; say which part is wrong.
        const [c, i, kind] = p.segs;
        if (p.segs.length === 3 && c === 'cases' && (kind === 'connect' || kind === 'bind')) {
          const value = ((data as Raw).cases as Raw[])[i as number][kind];
          const r = typeof value === 'string' ? parseSocketAddress(value) : undefined;
          if (r && 'problem' in r) p.message = `${fieldName(p.segs)}: ${r.problem}`;
        }
        problems.push(loc.problem(p.segs, p.message, p.key));
      }
    }
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      const builder = new Builder(loc, path.dirname(path.resolve(file)));
      const model = builder.file(data as Raw, file, casesWithSchemaErrors);
      problems.push(...builder.problems);
      if (problems.length === 0) return { file: model, problems: [] };
    }
    return { problems: finish(problems, notShown) };
  } catch (err) {
    // A bug here must not take the CLI or the editor down with it: report it as the file's problem.
    return at(`could not check this file (internal error: ${(err as Error)?.message ?? String(err)})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Files

const TEST_FILE_LIMIT: ReadLimit = {
  what: 'a policy test file',
  maxBytes: MAX_TEST_FILE_BYTES,
  tooLarge: (bytes) => `${(bytes / 1024).toFixed(0)} KiB, over the ${MAX_TEST_FILE_BYTES / 1024} KiB limit for a policy test file`,
};

/** The text of a test file: a regular file within the limit (server/src/ctext/boundedRead.ts), UTF-8. */
function readTestFile(file: string): string {
  const bytes = readBoundedFile(file, TEST_FILE_LIMIT);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('is not UTF-8 text');
  }
}

/** Reads and parses one test file; a file that cannot be read is one problem at 1:1. Never throws. */
export function loadPolicyTestFile(file: string): ParsedPolicyTestFile {
  let text: string;
  try {
    text = readTestFile(file);
  } catch (err) {
    return { problems: [{ file, line: 1, column: 1, message: `${path.basename(file)} ${(err as Error).message}` }] };
  }
  return parsePolicyTestFile(text, file);
}

/**
 * The policy test files under `roots`, absolute and sorted: a root that is a file is taken as it is, a
 * folder is searched for *.lsmtest.yaml (not entering node_modules, .git, out, dist, .cache). Symbolic
 * links are followed once: a loop or a second link to the same file adds nothing. Unreadable folders are
 * skipped. Throws only for a root that does not exist.
 */
export function findPolicyTestFiles(roots: string[]): string[] {
  // One name per file: the one that is not a link if it was seen, else the shortest, then by its text.
  const byRealPath = new Map<string, string>();
  const rank = (p: string, real: string) => [
    p === real ? 0 : 1,
    p.split(path.sep).length,
    path.basename(p) === path.basename(real) ? 0 : 1,
  ];
  const better = (p: string, q: string, real: string) => {
    const [a, b] = [rank(p, real), rank(q, real)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return p < q;
  };
  const add = (p: string) => {
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      return;
    }
    const had = byRealPath.get(real);
    if (had === undefined || better(p, had, real)) byRealPath.set(real, p);
  };
  const visited = new Set<string>();
  const stack: string[] = [];
  for (const r of roots) {
    const abs = path.resolve(r);
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (!stat) throw new Error(`${r}: no such file or folder`);
    if (stat.isDirectory()) stack.push(abs);
    else add(abs);
  }
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let real: string;
    let entries: fs.Dirent[];
    try {
      real = fs.realpathSync(dir);
      if (visited.has(real)) continue;
      visited.add(real);
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const p = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let target: fs.Stats | undefined;
        try {
          target = fs.statSync(p); // ELOOP for a link to itself, ENOENT for a dangling one
        } catch {
          continue;
        }
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDir && !SKIPPED_DIRS.has(entry.name)) stack.push(p);
      else if (isFile && entry.name.endsWith(POLICY_TEST_SUFFIX)) add(p);
    }
  }
  return [...byRealPath.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
