// Parses the kernel's include/linux/lsm_hook_defs.h: `LSM_HOOK(RET, DEFAULT, NAME, args...)` entries,
// with the #if condition each one sits under. Never throws: a malformed entry becomes an error with
// its line, and every entry that did parse is kept.
import { parseParam } from '../ctext/cDecl';
import type { HookArg, HookDef } from './types';

export interface HeaderError {
  line: number;
  message: string;
}

export interface ParsedHeader {
  hooks: HookDef[];
  errors: HeaderError[];
}

const HOOK_NAME = /^[a-z_][a-z0-9_]*$/;

/** A kernel's header has about 280 entries; past this many the rest of a file is not read. */
export const MAX_HOOK_ENTRIES = 10_000;
/** Problems listed at most; one more entry counts the rest. */
const MAX_ERRORS = 200;
/** A condition longer than this is cut (real ones are under 100 characters). */
const MAX_CONDITION_LENGTH = 500;

function cut(condition: string): string {
  return condition.length > MAX_CONDITION_LENGTH ? `${condition.slice(0, MAX_CONDITION_LENGTH)}…` : condition;
}

/** Collects problems, listing the first MAX_ERRORS. */
class Problems {
  readonly list: HeaderError[] = [];
  private unlisted = 0;

  add(line: number, message: string): void {
    if (this.list.length < MAX_ERRORS) this.list.push({ line, message });
    else this.unlisted++;
  }

  get count(): number {
    return this.list.length + this.unlisted;
  }

  /** The list, with a last entry counting what was not listed. */
  finish(line: number): HeaderError[] {
    if (this.unlisted > 0) this.list.push({ line, message: `and ${this.unlisted} more problem(s), not listed` });
    return this.list;
  }
}

/** Replaces comments and string contents with spaces, keeping every newline so offsets map to lines. */
export function blankComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(\*\/|$)|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** `defined(CONFIG_A) && defined (CONFIG_B)` -> `CONFIG_A && CONFIG_B`. */
export function normaliseCondition(expr: string): string {
  return expr
    .replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_m, a, b) => a ?? b)
    .replace(/\s+/g, ' ')
    .trim();
}

/** Tracks the stack of #if conditions, line by line. Conditions are cut at MAX_CONDITION_LENGTH. */
class ConditionStack {
  private frames: { original: string; current: string }[] = [];
  /** The condition of the current line, computed when first asked after a directive. */
  private cached: string | null | undefined = null;

  constructor(private readonly problems: Problems) {}

  apply(directive: string, line: number): void {
    const m = /^#\s*(\w+)\s*(.*)$/.exec(directive.trim());
    if (!m) return;
    this.cached = undefined;
    const [, keyword, rest] = m;
    const arg = cut(normaliseCondition(rest));
    switch (keyword) {
      case 'if':
        this.frames.push({ original: arg, current: arg });
        break;
      case 'ifdef':
        this.frames.push({ original: arg, current: arg });
        break;
      case 'ifndef':
        this.frames.push({ original: `!${arg}`, current: `!${arg}` });
        break;
      case 'elif': {
        const top = this.frames[this.frames.length - 1];
        if (!top) {
          this.problems.add(line, '#elif without #if');
        } else {
          top.current = cut(`!(${top.original}) && ${arg}`);
          top.original = cut(`${top.original} || ${arg}`);
        }
        break;
      }
      case 'else': {
        const top = this.frames[this.frames.length - 1];
        if (!top) this.problems.add(line, '#else without #if');
        else top.current = `!(${top.original})`;
        break;
      }
      case 'endif':
        if (!this.frames.pop()) this.problems.add(line, '#endif without #if');
        break;
      default:
        break;
    }
  }

  get condition(): string | null {
    if (this.cached !== undefined) return this.cached;
    if (this.frames.length === 0) return (this.cached = null);
    // Frames nest as deep as the file makes them: stop once the text is long enough to be cut anyway.
    let text = '';
    for (const f of this.frames) {
      const part = this.frames.length > 1 && /&&|\|\|/.test(f.current) ? `(${f.current})` : f.current;
      text = text ? `${text} && ${part}` : part;
      if (text.length > MAX_CONDITION_LENGTH) break;
    }
    return (this.cached = cut(text));
  }

  get depth(): number {
    return this.frames.length;
  }
}

/** Splits the text between the macro's parentheses at top-level commas. */
function splitFields(inner: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      fields.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(inner.slice(start));
  return fields.map((f) => f.replace(/\s+/g, ' ').trim());
}

function toArgs(fields: string[]): HookArg[] {
  if (fields.length === 1 && fields[0] === 'void') return [];
  return fields.map((f) => {
    const p = parseParam(f);
    return { type: p.type, name: p.name };
  });
}

/** Turns the fields of one LSM_HOOK(...) into a hook, or says why it cannot. */
function toHook(fields: string[], line: number, condition: string | null): HookDef | string {
  if (fields.length < 3) return `LSM_HOOK needs at least RET, DEFAULT and NAME, found ${fields.length} field(s)`;
  const [ret, defaultValue] = fields;
  if (!/^[A-Za-z_][\w ]*\**$/.test(ret)) return `return type '${ret}' is not a C type`;
  if (!defaultValue) return 'empty DEFAULT field';
  // The name is the first lower-case identifier after DEFAULT; anything between is an added field (flags).
  const nameIndex = fields.findIndex((f, i) => i >= 2 && HOOK_NAME.test(f));
  if (nameIndex < 0) return `no hook name among the fields '${fields.slice(2).join(', ')}'`;
  const argFields = fields.slice(nameIndex + 1);
  if (argFields.some((f) => f === '')) return `empty argument in hook '${fields[nameIndex]}'`;
  const hook: HookDef = {
    name: fields[nameIndex],
    ret: ret.replace(/\s+/g, ' '),
    defaultValue,
    args: toArgs(argFields),
    condition,
    line,
  };
  if (nameIndex > 2) hook.extraFields = fields.slice(2, nameIndex);
  return hook;
}

/** Offset of the ')' that closes the '(' at `open`, or -1 when `limit` comes first. */
function closingParen(text: string, open: number, limit: number): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Line numbers (1-based) of offsets asked for in ascending order: each line end is counted once. */
function lineCounter(text: string): (offset: number) => number {
  let line = 1;
  let nextEnd = text.indexOf('\n');
  return (offset) => {
    while (nextEnd >= 0 && nextEnd < offset) {
      line++;
      nextEnd = text.indexOf('\n', nextEnd + 1);
    }
    return line;
  };
}

/** The next match of a global regex at or after `from`. */
function matchFrom(re: RegExp, text: string, from: number): RegExpExecArray | null {
  re.lastIndex = from;
  return re.exec(text);
}

export function parseHookDefs(source: string): ParsedHeader {
  const hooks: HookDef[] = [];
  if (source.includes('\0')) {
    return { hooks, errors: [{ line: 1, message: 'not a text file (contains NUL bytes)' }] };
  }
  const problems = new Problems();
  // Lines end at \r\n, \r or \n (as editors count them); only line numbers leave this function.
  const text = blankComments(source.replace(/\r\n?/g, '\n'));
  // Directives and entries are read in file order, so their lines can be counted as they come.
  const lineOf = lineCounter(text);
  const conditions = new ConditionStack(problems);
  const seen = new Map<string, number>();
  // A backslash at a line's end continues the directive (tried first at each character, so `[^\n]` does not eat it).
  const directive = /^[ \t]*#(?:\\\n|[^\n])*/gm;
  const entry = /\bLSM_HOOK\s*\(/g;

  // Walk directives and entries in file order. The next match of each is kept until passed, so the text
  // is searched once, not again from each entry (which made a long header take quadratic time).
  let pos: number;
  let d = matchFrom(directive, text, 0);
  let e = matchFrom(entry, text, 0);
  let entries = 0;
  while (d || e) {
    if (d && (!e || d.index <= e.index)) {
      conditions.apply(d[0].replace(/\\\n/g, ' '), lineOf(d.index));
      pos = d.index + Math.max(d[0].length, 1);
    } else {
      const m = e!;
      const line = lineOf(m.index);
      if (++entries > MAX_HOOK_ENTRIES) {
        problems.add(
          line,
          `more than ${MAX_HOOK_ENTRIES} LSM_HOOK entries (a kernel's header has about 300); the rest of the file is not read`,
        );
        break;
      }
      const open = m.index + m[0].length - 1;
      // An entry that runs into the next one was never closed.
      const next = matchFrom(entry, text, open + 1);
      const close = closingParen(text, open, next ? next.index : text.length);
      if (close < 0) {
        problems.add(line, 'LSM_HOOK entry is not closed with )');
        pos = next ? next.index : text.length;
      } else {
        const hook = toHook(splitFields(text.slice(open + 1, close)), line, conditions.condition);
        if (typeof hook === 'string') {
          problems.add(line, hook);
        } else if (seen.has(hook.name)) {
          problems.add(line, `hook '${hook.name}' is declared again (first at line ${seen.get(hook.name)}); the first is kept`);
        } else {
          seen.set(hook.name, line);
          hooks.push(hook);
        }
        pos = close + 1;
      }
      e = next && next.index >= pos ? next : matchFrom(entry, text, pos);
    }
    // What lies inside the directive or entry just read is part of it.
    if (d && d.index < pos) d = matchFrom(directive, text, pos);
    if (e && e.index < pos) e = matchFrom(entry, text, pos);
  }
  const lastLine = lineOf(text.length) - (text.endsWith('\n') ? 1 : 0);
  if (conditions.depth > 0) problems.add(lastLine, `${conditions.depth} #if block(s) not closed by #endif`);
  if (hooks.length === 0 && problems.count === 0) problems.add(1, 'no LSM_HOOK entries found');
  return { hooks, errors: problems.finish(lastLine) };
}
