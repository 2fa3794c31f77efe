// The constant a program returns through inline BPF assembly, as the kernel's verifier selftests write
// their programs: a `__naked` function whose body is `asm volatile("r0 = 1;" "exit;" ::: __clobber_all);`.
// Only straight-line code is evaluated (register moves of constants, calls that clobber r0-r5, stores);
// a jump, a label or an instruction not understood anywhere in the statement means "not known".
import type { Node } from 'web-tree-sitter';
import { children, unescapeC } from './syntax';

export interface AsmReturn {
  /** r0 at the first `exit`, as the int the hook returns. */
  value: number;
  /** The piece (of those given) holding the instruction that last set r0. */
  piece: number;
}

/** Real selftest programs are a few dozen instructions; past this the statement is not evaluated. */
const MAX_INSTRUCTIONS = 4096;
const REGISTERS = 11;
const U64 = (1n << 64n) - 1n;

const MOV_IMM = /^([rw])(\d+)\s*=\s*(-?)\s*(0x[0-9a-f]+|\d+)\s*(ll)?$/i;
const MOV_REG = /^([rw])(\d+)\s*=\s*([rw])(\d+)$/;
const REG_WRITE = /^[rw](\d+)\s*(?:s>>|s\/|s%|<<|>>|[-+*/%&|^])?=/;
const CONTROL = /\b(?:goto|gotol|may_goto)\b|^if\b|^[\w%=.]+:/;
const CALL = /^call\b/;
const STORE = /^(?:\*\s*\(|lock\b)/;

/** `r0 = 1;` `exit;` split into instructions, each with the piece it starts in. */
function instructions(pieces: string[]): { text: string; piece: number }[] | null {
  const out: { text: string; piece: number }[] = [];
  let current = '';
  let currentPiece = -1;
  const flush = () => {
    const text = current.trim().replace(/\s+/g, ' ');
    if (text) out.push({ text, piece: currentPiece });
    current = '';
    currentPiece = -1;
  };
  for (const [p, piece] of pieces.entries()) {
    for (const c of piece) {
      if (c === ';' || c === '\n') {
        flush();
        if (out.length > MAX_INSTRUCTIONS) return null;
        continue;
      }
      if (currentPiece < 0 && !/\s/.test(c)) currentPiece = p;
      current += c;
    }
  }
  flush();
  return out;
}

const toSigned64 = (v: bigint) => BigInt.asIntN(64, v & U64);

/** An immediate as the instruction puts it into the register, or null when the assembler's reading is unclear. */
function immediate(sign: string, digits: string, wide: boolean, reg: string): bigint | null {
  let v = BigInt(digits);
  if (sign) v = -v;
  if (wide) return reg === 'r' ? toSigned64(v) : null;
  // A 32-bit immediate: `rN =` sign-extends it, `wN =` zero-extends it.
  if (v < -(1n << 31n) || v >= 1n << 32n) return null;
  if (reg === 'r') return v < 1n << 31n ? v : null;
  return BigInt.asUintN(32, v);
}

/** r0 at the first `exit` of straight-line BPF assembly, or null when it is not a known constant. */
export function asmReturnValue(pieces: string[]): AsmReturn | null {
  const list = instructions(pieces);
  if (!list || list.some((i) => CONTROL.test(i.text))) return null;
  const regs: ({ value: bigint; piece: number } | null)[] = new Array<null>(REGISTERS).fill(null);
  for (const ins of list) {
    const t = ins.text;
    if (t === 'exit') {
      const r0 = regs[0];
      // The hook returns int: claim only a value that reads the same as 64 and as 32 bits.
      if (!r0 || r0.value !== BigInt.asIntN(32, r0.value)) return null;
      return { value: Number(r0.value), piece: r0.piece };
    }
    let m = MOV_IMM.exec(t);
    if (m) {
      const reg = Number(m[2]);
      if (reg >= REGISTERS) return null;
      const v = immediate(m[3], m[4], !!m[5], m[1]);
      regs[reg] = v === null ? null : { value: v, piece: ins.piece };
      continue;
    }
    m = MOV_REG.exec(t);
    if (m) {
      const [dst, src] = [Number(m[2]), Number(m[4])];
      if (dst >= REGISTERS || src >= REGISTERS || m[1] !== m[3]) return null;
      const from = regs[src];
      regs[dst] = from && { value: m[1] === 'w' ? BigInt.asUintN(32, from.value) : from.value, piece: ins.piece };
      continue;
    }
    if (CALL.test(t)) {
      // A call returns in r0 and clobbers r1-r5.
      for (let r = 0; r <= 5; r++) regs[r] = null;
      continue;
    }
    if (STORE.test(t)) continue;
    m = REG_WRITE.exec(t);
    if (m) {
      const reg = Number(m[1]);
      if (reg >= REGISTERS) return null;
      regs[reg] = null;
      continue;
    }
    // A directive, a byte sequence, an instruction not read here: nothing is claimed.
    return null;
  }
  return null;
}

/** The text of a string_literal node; null for anything else (a macro in a concatenation). */
function literalText(node: Node): string | null {
  if (node.type !== 'string_literal') return null;
  const raw = node.text;
  if (raw.length < 2 || !raw.startsWith('"') || !raw.endsWith('"')) return null;
  return unescapeC(raw.slice(1, -1));
}

/** The inline assembly statement that is a function's whole body (a naked program), or null. */
export function inlineAsmBody(body: Node): Node | null {
  const statements = children(body);
  if (statements.length !== 1 || statements[0].type !== 'expression_statement') return null;
  const asm = children(statements[0])[0];
  return asm?.type === 'gnu_asm_expression' ? asm : null;
}

/**
 * A function body that is one inline assembly statement (a naked program): what r0 holds at its exit,
 * and the string literal holding the instruction that set it. Null for any other body.
 */
export function asmBodyReturn(body: Node): { value: number; node: Node } | null {
  const code = inlineAsmBody(body)?.childForFieldName('assembly_code');
  if (!code) return null;
  const literals = code.type === 'concatenated_string' ? children(code) : [code];
  const pieces: string[] = [];
  for (const literal of literals) {
    const text = literalText(literal);
    if (text === null) return null;
    pieces.push(text);
  }
  const result = asmReturnValue(pieces);
  return result && { value: result.value, node: literals[result.piece] };
}
