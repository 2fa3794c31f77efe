// Parses the kernel's include/linux/lsm_hook_defs.h: `LSM_HOOK(RET, DEFAULT, NAME, args...)` entries,
// with the #if condition each one sits under. Never throws: a malformed entry becomes an error with
// its line, and every entry that did parse is kept.
import { TextIndex } from '../analysis/textIndex';
import { parseParam } from './cDecl';
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

/** Replaces comments and string contents with spaces, keeping every newline so offsets map to lines. */
function blankComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(\*\/|$)|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** `defined(CONFIG_A) && defined (CONFIG_B)` -> `CONFIG_A && CONFIG_B`. */
function normaliseCondition(expr: string): string {
  return expr.replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_m, a, b) => a ?? b).replace(/\s+/g, ' ').trim();
}

/** Tracks the stack of #if conditions, line by line. */
class ConditionStack {
  private frames: { original: string; current: string }[] = [];

  constructor(private readonly errors: HeaderError[]) {}

  apply(directive: string, line: number): void {
    const m = /^#\s*(\w+)\s*(.*)$/.exec(directive.trim());
    if (!m) return;
    const [, keyword, rest] = m;
    const arg = normaliseCondition(rest);
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
        if (!top) this.errors.push({ line, message: '#elif without #if' });
        else top.current = `!(${top.original}) && ${arg}`, (top.original = `${top.original} || ${arg}`);
        break;
      }
      case 'else': {
        const top = this.frames[this.frames.length - 1];
        if (!top) this.errors.push({ line, message: '#else without #if' });
        else top.current = `!(${top.original})`;
        break;
      }
      case 'endif':
        if (!this.frames.pop()) this.errors.push({ line, message: '#endif without #if' });
        break;
      default:
        break;
    }
  }

  get condition(): string | null {
    if (this.frames.length === 0) return null;
    return this.frames.map((f) => (this.frames.length > 1 && /&&|\|\|/.test(f.current) ? `(${f.current})` : f.current)).join(' && ');
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

/** Offset of the ')' that closes the '(' at `open`, or -1 when the text ends first. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

export function parseHookDefs(source: string): ParsedHeader {
  const errors: HeaderError[] = [];
  const hooks: HookDef[] = [];
  if (source.includes('\0')) {
    return { hooks, errors: [{ line: 1, message: 'not a text file (contains NUL bytes)' }] };
  }
  const text = blankComments(source);
  const index = new TextIndex(text);
  const lineOf = (offset: number) => index.position(offset).line + 1;
  const conditions = new ConditionStack(errors);
  const seen = new Map<string, number>();
  const directive = /^[ \t]*#[^\n]*(?:\\\n[^\n]*)*/gm;
  const entry = /\bLSM_HOOK\s*\(/g;

  // Walk directives and entries in file order.
  let pos = 0;
  while (pos < text.length) {
    directive.lastIndex = pos;
    entry.lastIndex = pos;
    const d = directive.exec(text);
    const e = entry.exec(text);
    if (!d && !e) break;
    if (d && (!e || d.index <= e.index)) {
      conditions.apply(d[0].replace(/\\\n/g, ' '), lineOf(d.index));
      pos = d.index + Math.max(d[0].length, 1);
      continue;
    }
    const m = e!;
    const line = lineOf(m.index);
    const open = m.index + m[0].length - 1;
    const close = closingParen(text, open);
    // An entry that runs into the next one was never closed.
    entry.lastIndex = open + 1;
    const next = entry.exec(text);
    if (close < 0 || (next && next.index < close)) {
      errors.push({ line, message: 'LSM_HOOK entry is not closed with )' });
      pos = next ? next.index : text.length;
      continue;
    }
    const hook = toHook(splitFields(text.slice(open + 1, close)), line, conditions.condition);
    if (typeof hook === 'string') {
      errors.push({ line, message: hook });
    } else if (seen.has(hook.name)) {
      errors.push({ line, message: `hook '${hook.name}' is declared again (first at line ${seen.get(hook.name)}); the first is kept` });
    } else {
      seen.set(hook.name, line);
      hooks.push(hook);
    }
    pos = close + 1;
  }
  const lastLine = source.endsWith('\n') ? index.lineCount - 1 : index.lineCount;
  if (conditions.depth > 0) errors.push({ line: lastLine, message: `${conditions.depth} #if block(s) not closed by #endif` });
  if (hooks.length === 0 && errors.length === 0) errors.push({ line: 1, message: 'no LSM_HOOK entries found' });
  return { hooks, errors };
}
