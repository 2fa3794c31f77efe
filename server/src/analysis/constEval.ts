// Evaluates constant C expressions in return statements: literals, errno names, the file's own
// object-like #defines, unary minus and simple arithmetic. Anything else is "not constant" (null).
import type { Node } from 'web-tree-sitter';

/** asm-generic/errno-base.h and errno.h values most used in LSM programs. */
export const ERRNO: ReadonlyMap<string, number> = new Map(
  Object.entries({
    EPERM: 1,
    ENOENT: 2,
    ESRCH: 3,
    EINTR: 4,
    EIO: 5,
    ENXIO: 6,
    E2BIG: 7,
    ENOEXEC: 8,
    EBADF: 9,
    ECHILD: 10,
    EAGAIN: 11,
    ENOMEM: 12,
    EACCES: 13,
    EFAULT: 14,
    EBUSY: 16,
    EEXIST: 17,
    EXDEV: 18,
    ENODEV: 19,
    ENOTDIR: 20,
    EISDIR: 21,
    EINVAL: 22,
    ENFILE: 23,
    EMFILE: 24,
    ENOTTY: 25,
    ETXTBSY: 26,
    EFBIG: 27,
    ENOSPC: 28,
    ESPIPE: 29,
    EROFS: 30,
    EMLINK: 31,
    EPIPE: 32,
    ERANGE: 34,
    ENOSYS: 38,
    ENOPROTOOPT: 92,
    EPROTONOSUPPORT: 93,
    EOPNOTSUPP: 95,
    ENOTSUP: 95,
    EAFNOSUPPORT: 97,
    EADDRINUSE: 98,
    EADDRNOTAVAIL: 99,
    ENETUNREACH: 101,
    ECONNREFUSED: 111,
    EHOSTUNREACH: 113,
  }),
);

const MAX_DEPTH = 8;

function parseNumber(text: string): number | null {
  // tree-sitter-c folds a leading minus into the literal: `-4096`.
  const sign = text.startsWith('-') ? -1 : 1;
  const n = parseUnsigned(text.replace(/^[-+]\s*/, ''));
  return n === null ? null : sign * n;
}

function parseUnsigned(text: string): number | null {
  const t = text.replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[bB][01]+$/.test(t)) return parseInt(t.slice(2), 2);
  if (/^0[0-7]+$/.test(t)) return parseInt(t, 8);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  return null;
}

/** Evaluates a `#define` value (text), which may itself be an expression like `(-EPERM)`. */
function evalText(text: string, defines: Map<string, string>, depth: number): number | null {
  if (depth > MAX_DEPTH) return null;
  const t = text.trim();
  const n = parseNumber(t);
  if (n !== null) return n;
  const paren = /^\((.*)\)$/.exec(t);
  if (paren) return evalText(paren[1], defines, depth + 1);
  const neg = /^-\s*(.+)$/.exec(t);
  if (neg) {
    const v = evalText(neg[1], defines, depth + 1);
    return v === null ? null : -v;
  }
  if (/^[A-Za-z_]\w*$/.test(t)) return evalName(t, defines, depth + 1);
  return null;
}

function evalName(name: string, defines: Map<string, string>, depth: number): number | null {
  if (depth > MAX_DEPTH) return null;
  const def = defines.get(name);
  if (def !== undefined) return evalText(def, defines, depth);
  if (name === 'true') return 1;
  if (name === 'false') return 0;
  // A Map: `ERRNO[name]` would give Object.prototype's members for `constructor`, `toString`...
  return ERRNO.get(name) ?? null;
}

export function evalConstant(node: Node, defines: Map<string, string>, depth = 0): number | null {
  const value = evalNode(node, defines, depth);
  // A value past 2^53 is not exact as a number (and C would truncate it): no claim about it is safe.
  return value !== null && Number.isSafeInteger(value) ? value : null;
}

function evalNode(node: Node, defines: Map<string, string>, depth: number): number | null {
  if (depth > MAX_DEPTH) return null;
  switch (node.type) {
    case 'number_literal':
      return parseNumber(node.text);
    case 'true':
      return 1;
    case 'false':
      return 0;
    case 'identifier':
      return evalName(node.text, defines, depth);
    case 'parenthesized_expression': {
      const inner = node.namedChildren[0];
      return inner ? evalConstant(inner, defines, depth + 1) : null;
    }
    case 'cast_expression': {
      const value = node.childForFieldName('value');
      return value ? evalConstant(value, defines, depth + 1) : null;
    }
    case 'unary_expression': {
      const arg = node.childForFieldName('argument');
      const op = node.childForFieldName('operator')?.type ?? node.child(0)?.type;
      const v = arg ? evalConstant(arg, defines, depth + 1) : null;
      if (v === null) return null;
      if (op === '-') return -v;
      if (op === '+') return v;
      if (op === '!') return v ? 0 : 1;
      if (op === '~') return ~v;
      return null;
    }
    case 'binary_expression': {
      const l = node.childForFieldName('left');
      const r = node.childForFieldName('right');
      const op = node.childForFieldName('operator')?.type;
      const a = l ? evalConstant(l, defines, depth + 1) : null;
      const b = r ? evalConstant(r, defines, depth + 1) : null;
      return a === null || b === null || !op ? null : binaryOp(op, a, b);
    }
    default:
      return null;
  }
}

/** C's binary operators on known integers (comparisons give 0 or 1); null where C would not say (x / 0). */
export function binaryOp(op: string, a: number, b: number): number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? null : Math.trunc(a / b);
    case '%':
      return b === 0 ? null : a % b;
    case '|':
      return a | b;
    case '&':
      return a & b;
    case '^':
      return a ^ b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    default:
      return null;
  }
}
