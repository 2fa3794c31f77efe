// Reads the hook sets of a kernel's kernel/bpf/bpf_lsm.c: every `BTF_SET_START(name)` ... `BTF_SET_END(name)`
// block that names hooks with `BTF_ID(func, bpf_lsm_<hook>)`, each entry with the #if condition it sits
// under. The result has the shape of ../shared/kernel-hooks/bpf_lsm-sets-v*.json. A set filled by including
// lsm_hook_defs.h (bpf_lsm_hooks, void_lsm_hooks) names no hook itself: it is listed in `fromHeader`.
// Strict, as a generator's input should be: anything it does not understand inside a set is an error.
import { emptySets, SET_NAMES } from '../server/src/hooks/tableFormat';
import type { HookSets } from '../server/src/hooks/types';
import { blankComments, normaliseCondition } from '../server/src/hooks/hookDefsParser';

export interface SetEntry {
  hook: string;
  /** The #if condition of the entry (`CONFIG_SECURITY_NETWORK`), or null. */
  config: string | null;
}

export interface BpfLsmSets {
  /** Set name -> entries in file order, for the sets that name their hooks. */
  sets: Record<string, SetEntry[]>;
  /** Sets filled by `#include <linux/lsm_hook_defs.h>`: every hook, or every void hook. */
  fromHeader: string[];
}

export class BpfLsmSetsError extends Error {
  override name = 'BpfLsmSetsError';
}

/** A kernel's bpf_lsm.c is about 12 KB. */
export const BPF_LSM_MAX_BYTES = 1024 * 1024;

/** The #if stack, rendered as the header parser renders conditions (`A && (B || C)`). */
class Conditions {
  private frames: { original: string; current: string; line: number }[] = [];

  apply(keyword: string, rest: string, line: number): void {
    const arg = normaliseCondition(rest);
    const top = this.frames[this.frames.length - 1];
    switch (keyword) {
      case 'if':
      case 'ifdef':
        this.frames.push({ original: arg, current: arg, line });
        break;
      case 'ifndef':
        this.frames.push({ original: `!${arg}`, current: `!${arg}`, line });
        break;
      case 'elif':
        if (!top) throw new BpfLsmSetsError(`line ${line}: #elif without #if`);
        top.current = `!(${top.original}) && ${arg}`;
        top.original = `${top.original} || ${arg}`;
        break;
      case 'else':
        if (!top) throw new BpfLsmSetsError(`line ${line}: #else without #if`);
        top.current = `!(${top.original})`;
        break;
      case 'endif':
        if (!this.frames.pop()) throw new BpfLsmSetsError(`line ${line}: #endif without #if`);
        break;
    }
  }

  get current(): string | null {
    if (this.frames.length === 0) return null;
    const many = this.frames.length > 1;
    return this.frames.map((f) => (many && /&&|\|\|/.test(f.current) ? `(${f.current})` : f.current)).join(' && ');
  }

  get open(): number | undefined {
    return this.frames[this.frames.length - 1]?.line;
  }
}

/** Logical lines (backslash continuations joined), each with the 1-based line it starts on. */
function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const physical = text.split('\n');
  for (let i = 0; i < physical.length; i++) {
    const line = i + 1;
    let joined = physical[i];
    while (joined.endsWith('\\') && i + 1 < physical.length) joined = `${joined.slice(0, -1)} ${physical[++i]}`;
    out.push({ text: joined, line });
  }
  return out;
}

const MACRO = /\b(BTF_SET_START|BTF_SET_END|BTF_ID)\s*\(([^()]*)\)/g;

/** Parses bpf_lsm.c; throws BpfLsmSetsError (with the line) on anything unexpected. */
export function parseBpfLsmSets(source: string): BpfLsmSets {
  if (source.length > BPF_LSM_MAX_BYTES) throw new BpfLsmSetsError(`over ${BPF_LSM_MAX_BYTES} bytes: not a bpf_lsm.c`);
  if (source.includes('\0')) throw new BpfLsmSetsError('not a text file (contains NUL bytes)');
  const text = blankComments(source.replace(/\r\n?/g, '\n'));
  const conditions = new Conditions();
  const sets = new Map<string, SetEntry[]>();
  const fromHeader: string[] = [];
  let open: { name: string; line: number; includesHeader: boolean } | null = null;

  for (const { text: lineText, line } of logicalLines(text)) {
    const directive = /^\s*#\s*(\w+)\s*(.*)$/.exec(lineText);
    if (directive) {
      const [, keyword, rest] = directive;
      // A #define may mention BTF_ID (the macros that fill a set from the header): never an entry itself.
      if (keyword === 'include' && open && /^[<"]linux\/lsm_hook_defs\.h[>"]/.test(rest.trim())) open.includesHeader = true;
      else if (keyword === 'include' && open)
        throw new BpfLsmSetsError(`line ${line}: unexpected #include ${rest.trim()} in set ${open.name}`);
      else conditions.apply(keyword, rest, line);
      continue;
    }
    let rest = lineText;
    let m: RegExpExecArray | null;
    MACRO.lastIndex = 0;
    while ((m = MACRO.exec(lineText))) {
      const [whole, macro, argText] = m;
      rest = rest.replace(whole, ' ');
      const args = argText.split(',').map((a) => a.trim());
      if (macro === 'BTF_SET_START') {
        if (open)
          throw new BpfLsmSetsError(`line ${line}: BTF_SET_START(${args[0]}) inside set ${open.name} (opened at line ${open.line})`);
        if (sets.has(args[0]) || fromHeader.includes(args[0])) throw new BpfLsmSetsError(`line ${line}: set ${args[0]} is declared again`);
        open = { name: args[0], line, includesHeader: false };
      } else if (macro === 'BTF_SET_END') {
        if (!open || open.name !== args[0]) {
          throw new BpfLsmSetsError(`line ${line}: BTF_SET_END(${args[0]}) ${open ? `closes set ${open.name}` : 'without BTF_SET_START'}`);
        }
        if (open.includesHeader) {
          if (sets.has(open.name))
            throw new BpfLsmSetsError(`line ${line}: set ${open.name} both includes lsm_hook_defs.h and names hooks`);
          fromHeader.push(open.name);
        } else if (!sets.has(open.name)) {
          sets.set(open.name, []);
        }
        open = null;
      } else if (open) {
        const hook = args.length === 2 && args[0] === 'func' ? /^bpf_lsm_([a-z_][a-z0-9_]*)$/.exec(args[1])?.[1] : undefined;
        if (!hook)
          throw new BpfLsmSetsError(`line ${line}: set ${open.name} has BTF_ID(${argText.trim()}), not BTF_ID(func, bpf_lsm_<hook>)`);
        const entries = sets.get(open.name) ?? [];
        sets.set(open.name, entries);
        if (entries.some((e) => e.hook === hook)) throw new BpfLsmSetsError(`line ${line}: ${hook} is listed twice in set ${open.name}`);
        entries.push({ hook, config: conditions.current });
      } else if (args[0] === 'func' && args[1]?.startsWith('bpf_lsm_')) {
        // A hook named outside BTF_SET_START/END: some other set macro this parser does not know.
        throw new BpfLsmSetsError(`line ${line}: BTF_ID(${argText.trim()}) outside any BTF_SET_START/BTF_SET_END`);
      }
    }
    if (open && rest.trim() !== '') {
      throw new BpfLsmSetsError(`line ${line}: unexpected text in set ${open.name}: '${rest.trim().slice(0, 80)}'`);
    }
  }
  if (open) throw new BpfLsmSetsError(`line ${open.line}: set ${open.name} is not closed by BTF_SET_END`);
  if (conditions.open !== undefined) throw new BpfLsmSetsError(`line ${conditions.open}: #if not closed by #endif`);
  if (!fromHeader.includes('bpf_lsm_hooks')) throw new BpfLsmSetsError('no bpf_lsm_hooks set: not a kernel/bpf/bpf_lsm.c');
  return { sets: Object.fromEntries(sets), fromHeader };
}

/** The sets of one release as stored in the tables: hook names, sorted, under the project's names. */
export function toHookSets(sets: Record<string, { hook: string }[]>, where: string): HookSets {
  const result = emptySets();
  for (const [kernelName, entries] of Object.entries(sets)) {
    const key = SET_NAMES[kernelName];
    if (!key) throw new Error(`${where}: unknown set ${kernelName}; teach SET_NAMES (server/src/hooks/tableFormat.ts) about it`);
    result[key] = entries.map((e) => e.hook).sort();
  }
  return result;
}
