// The value flow itself (valueFlow.ts), below the checks that use it: for small C bodies, what each
// `return` can give back on each path, what the path knows of `ret`, whether a path falls off the end,
// and where the flow gives up. Each expectation is written out from C's semantics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { createCParser, parseC } from '../../server/src/analysis/cParser';
import { mayAllow, programFlow, type ReturnOutcome } from '../../server/src/analysis/valueFlow';

let parser: Parser;
before(async () => {
  parser = await createCParser();
});
after(() => parser.delete());

/** `line: value` for each outcome, in order, then `falls off` and `incomplete` where they hold. */
function render(o: ReturnOutcome): string {
  const v = o.value;
  const value = v.kind === 'const' ? `${v.value} [${v.origin.text}]` : v.kind === 'ret' ? 'ret' : v.mayBeRet ? '?ret' : '?';
  return `${o.stmt.startPosition.row + 1}: ${value}${o.ret === 'any' ? '' : ` (ret ${o.ret})`}`;
}

/** The outcomes of the flow of the last function in `text` (the program; earlier ones are its helpers). */
function lastFunctionFlow(
  text: string,
  ret: string | null,
  defines: Record<string, string> = {},
): { lines: string[]; outcomes: [string, boolean][] } {
  const tree = parseC(parser, text)!;
  try {
    const fns = tree.rootNode.namedChildren.filter((n) => n?.type === 'function_definition');
    const prog = fns[fns.length - 1]!;
    const result = programFlow(prog.childForFieldName('body')!, ret, new Map(Object.entries(defines)), text);
    const lines = result.outcomes.map(render);
    if (result.fallsOff) lines.push('falls off');
    if (!result.complete) lines.push('incomplete');
    return { lines, outcomes: result.outcomes.map((o) => [render(o), mayAllow(o)]) };
  } finally {
    tree.delete();
  }
}

/**
 * The flow of the program whose body lines are `body`, after the helpers in `before`; `ret` is its verdict
 * argument's name, or null for none. Lines are counted from the program's `{` line, so expectations read
 * against `body`.
 */
function flow(body: string[], opts: { before?: string[]; ret?: string | null; defines?: Record<string, string> } = {}): string[] {
  const ret = opts.ret === undefined ? 'ret' : opts.ret;
  const head = opts.before ?? [];
  const text = [...head, `int prog(struct file *file${ret ? `, int ${ret}` : ''})`, '{', ...body.map((l) => `  ${l}`), '}', ''].join('\n');
  const base = head.length + 2;
  return lastFunctionFlow(text, ret, opts.defines).lines.map((l) => l.replace(/^(\d+)/, (n) => String(Number(n) - base)));
}

describe('value flow: values', () => {
  it('a literal, an errno name, a define, ret itself, and what it cannot know', () => {
    assert.deepEqual(flow(['return 0;']), ['1: 0 [0]']);
    assert.deepEqual(flow(['return -EPERM;']), ['1: -1 [-EPERM]']);
    assert.deepEqual(flow(['return DENY;'], { defines: { DENY: '(-EACCES)' } }), ['1: -13 [DENY]']);
    assert.deepEqual(flow(['return ret;']), ['1: ret']);
    assert.deepEqual(flow(['return (int)ret;']), ['1: ret']);
    assert.deepEqual(flow(['return file->f_flags;']), ['1: ?']);
    assert.deepEqual(flow(['return;']), ['1: ?']);
    assert.deepEqual(flow(['return true;']), ['1: 1 [true]']);
    assert.deepEqual(flow(['return false;']), ['1: 0 [false]']);
  });

  it('follows locals through declarations, assignments and compound assignments', () => {
    assert.deepEqual(flow(['int err = -EPERM;', 'return err;']), ['2: -1 [-EPERM]']);
    assert.deepEqual(flow(['int err;', 'err = -EACCES;', 'return err;']), ['3: -13 [-EACCES]']);
    assert.deepEqual(flow(['int a = 2, b = a;', 'return b;']), ['2: 2 [2]']);
    assert.deepEqual(flow(['int err = 1;', 'err += 2;', 'return err;']), ['3: 3 [err += 2]']);
    assert.deepEqual(flow(['int err = 6;', 'err |= 1;', 'err <<= 1;', 'return err;']), ['4: 14 [err <<= 1]']);
    assert.deepEqual(flow(['int err = 1;', 'err /= 0;', 'return err;']), ['3: ?']);
    assert.deepEqual(flow(['int err = file->f_flags;', 'err += 2;', 'return err;']), ['3: ?']);
    assert.deepEqual(flow(['int err;', 'return err;']), ['2: ?']);
    assert.deepEqual(flow(['int err = 0;', 'err++;', 'return err;']), ['3: ?']);
    assert.deepEqual(flow(['int err = 0;', '--(err);', 'return err;']), ['3: ?']);
    // The assignment's own value.
    assert.deepEqual(flow(['int err;', 'return (err = -EPERM);']), ['2: -1 [-EPERM]']);
    assert.deepEqual(flow(['int err = 0;', 'return err = err - 5;']), ['2: -5 [err - 5]']);
    // Not followed: a pointer, an array, a global, a field.
    assert.deepEqual(flow(['int *p = 0;', 'return p;']), ['2: ?']);
    assert.deepEqual(flow(['int a[2] = {1, 2};', 'return a;']), ['2: ?']);
    assert.deepEqual(flow(['global = 3;', 'return global;']), ['2: ?']);
    assert.deepEqual(flow(['int x = {0};', 'return x;']), ['2: ?']);
  });

  it('evaluates unary, binary and comma expressions on known values', () => {
    assert.deepEqual(flow(['int e = 1;', 'return -e;']), ['2: -1 [-e]']);
    assert.deepEqual(flow(['int e = 1;', 'return +e;']), ['2: 1 [+e]']);
    assert.deepEqual(flow(['int e = 3;', 'return !e;']), ['2: 0 [!e]']);
    assert.deepEqual(flow(['int e = 0;', 'return ~e;']), ['2: -1 [~e]']);
    assert.deepEqual(flow(['int e = 0;', 'return *e;']), ['2: ?']);
    assert.deepEqual(flow(['return -file->f_flags;']), ['1: ?']);
    assert.deepEqual(flow(['int e = 3;', 'return e * 2 - 7;']), ['2: -1 [e * 2 - 7]']);
    assert.deepEqual(flow(['int e = 3;', 'return e / 0;']), ['2: ?']);
    assert.deepEqual(flow(['int e;', 'return (e = 2, e + 1);']), ['2: 3 [e + 1]']);
    assert.deepEqual(flow(['return file->f_mode + 1;']), ['1: ?']);
  });

  it('a variable whose address is taken keeps only whether it may be ret', () => {
    assert.deepEqual(flow(['int e = 0;', 'bpf_probe_read_kernel(&e, 4, file);', 'return e;']), ['3: ?']);
    assert.deepEqual(flow(['int e = ret;', 'bpf_probe_read_kernel(& e, 4, file);', 'return e;']), ['3: ?ret']);
    // `a & e` and `a && e` take no address.
    assert.deepEqual(flow(['int e = -1;', 'int m = 1 & e;', 'return e;']), ['3: -1 [-1]']);
    assert.deepEqual(flow(['int e = -1;', 'if (file && e) return e;', 'return 0;']), ['2: -1 [-1]', '3: 0 [0]']);
  });

  it('a block’s own variable does not stand for the one outside it', () => {
    assert.deepEqual(flow(['int err = 0;', '{', '  int err = -EPERM;', '  (void)err;', '}', 'return err;']), ['6: 0 [0]']);
    assert.deepEqual(flow(['int err = 0;', '{', '  err = -EPERM;', '}', 'return err;']), ['5: -1 [-EPERM]']);
    // The initialiser reads the outer variable (`int err = err;`).
    assert.deepEqual(flow(['int err = -2;', '{', '  int err = err;', '  return err;', '}']), ['4: -2 [-2]']);
  });
});

describe('value flow: conditions and ret', () => {
  it('splits on ret compared with 0, written either way round', () => {
    const cases: [string, string[]][] = [
      ['ret', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['!ret', ['2: ret (ret zero)', '3: 0 [0] (ret nonzero)']],
      ['ret != 0', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['0 != ret', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['ret < 0', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['0 > ret', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['ret == 0', ['2: ret (ret zero)', '3: 0 [0] (ret nonzero)']],
      ['0 == ret', ['2: ret (ret zero)', '3: 0 [0] (ret nonzero)']],
      ['ret >= 0', ['2: ret (ret zero)', '3: 0 [0] (ret nonzero)']],
      ['0 <= ret', ['2: ret (ret zero)', '3: 0 [0] (ret nonzero)']],
      // Says nothing a verdict (0 or a negative errno) could be told apart by.
      ['ret > 0', ['2: ret', '3: 0 [0]']],
      ['0 < ret', ['2: ret', '3: 0 [0]']],
      ['ret <= 0', ['2: ret', '3: 0 [0]']],
      ['(ret)', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
      ['ret != (0)', ['2: ret (ret nonzero)', '3: 0 [0] (ret zero)']],
    ];
    for (const [cond, want] of cases) {
      assert.deepEqual(flow([`if (${cond})`, '  return ret;', 'return 0;']), want, cond);
    }
  });

  it('a path keeps what it learnt of ret: a later test of ret takes only the branch it allows', () => {
    assert.deepEqual(flow(['if (ret)', '  return ret;', 'if (ret == 0)', '  return 0;', 'return -1;']), [
      '2: ret (ret nonzero)',
      '4: 0 [0] (ret zero)',
    ]);
    assert.deepEqual(flow(['int r = ret;', 'if (r < 0)', '  return r;', 'return 0;']), ['3: ret (ret nonzero)', '4: 0 [0] (ret zero)']);
  });

  it('a known value takes one branch', () => {
    assert.deepEqual(flow(['int e = 0;', 'if (e)', '  return -1;', 'return 0;']), ['4: 0 [0]']);
    assert.deepEqual(flow(['int e = 5;', 'if (e)', '  return -1;', 'return 0;']), ['3: -1 [-1]']);
    assert.deepEqual(flow(['int e = 5;', 'if (e != 0)', '  return -1;', 'return 0;']), ['3: -1 [-1]']);
    assert.deepEqual(flow(['int e = 5;', 'if (0 == e)', '  return -1;', 'return 0;']), ['4: 0 [0]']);
    assert.deepEqual(flow(['int e = -2;', 'if (e < 0)', '  return e;', 'return 0;']), ['3: -2 [-2]']);
    assert.deepEqual(flow(['if (1)', '  return -1;', 'else', '  return 0;']), ['2: -1 [-1]']);
    assert.deepEqual(flow(['if (0)', '  return -1;', 'else', '  return 0;']), ['4: 0 [0]']);
  });

  it('remembers what a path tested of a plain variable, until it is assigned', () => {
    assert.deepEqual(flow(['int x = file->f_flags;', 'if (x) {', '  if (!x)', '    return -1;', '  return -2;', '}', 'return 0;']), [
      '5: -2 [-2]',
      '7: 0 [0]',
    ]);
    assert.deepEqual(
      flow(['int x = file->f_flags;', 'if (x) {', '  x = file->f_mode;', '  if (!x)', '    return -1;', '  return -2;', '}', 'return 0;']),
      ['5: -1 [-1]', '6: -2 [-2]', '8: 0 [0]'],
    );
    // Only `x` and `!x` (or == / != 0) say it: `x < 0` does not.
    assert.deepEqual(flow(['int x = file->f_flags;', 'if (x < 0) {', '  if (!x)', '    return -1;', '  return -2;', '}', 'return 0;']), [
      '4: -1 [-1]',
      '5: -2 [-2]',
      '7: 0 [0]',
    ]);
  });

  it('&& and || split as C evaluates them, and give 1 or 0', () => {
    assert.deepEqual(flow(['if (ret && file)', '  return ret;', 'return 0;']), [
      '2: ret (ret nonzero)',
      '3: 0 [0] (ret zero)',
      '3: 0 [0] (ret nonzero)',
    ]);
    assert.deepEqual(flow(['if (!ret || file)', '  return 0;', 'return ret;']), [
      '2: 0 [0] (ret zero)',
      '2: 0 [0] (ret nonzero)',
      '3: ret (ret nonzero)',
    ]);
    assert.deepEqual(flow(['return ret && file;']), [
      '1: 1 [ret && file] (ret nonzero)',
      '1: 0 [ret && file] (ret zero)',
      '1: 0 [ret && file] (ret nonzero)',
    ]);
    assert.deepEqual(flow(['int e = 0;', 'return e || 1;']), ['2: 1 [e || 1]']);
  });

  it('conditional expressions, and GNU `a ?: b`', () => {
    assert.deepEqual(flow(['return file->f_flags ? -EPERM : 0;']), ['1: -1 [-EPERM]', '1: 0 [0]']);
    assert.deepEqual(flow(['return ret ? ret : -EPERM;']), ['1: ret (ret nonzero)', '1: -1 [-EPERM] (ret zero)']);
    assert.deepEqual(flow(['return ret ?: -EACCES;']), ['1: ret (ret nonzero)', '1: -13 [-EACCES] (ret zero)']);
    assert.deepEqual(flow(['int e = 0;', 'return e ?: -EACCES;']), ['2: -13 [-EACCES]']);
    assert.deepEqual(flow(['int e = -2;', 'return e ?: -EACCES;']), ['2: -2 [-2]']);
  });
});

describe('value flow: statements', () => {
  it('a path without a return falls off the end', () => {
    assert.deepEqual(flow(['int e = 0;']), ['falls off']);
    assert.deepEqual(flow(['if (ret)', '  return ret;']), ['2: ret (ret nonzero)', 'falls off']);
    assert.deepEqual(flow(['if (ret)', '  return ret;', 'else', '  return 0;']), ['2: ret (ret nonzero)', '4: 0 [0] (ret zero)']);
    assert.deepEqual(flow(['return 0;', 'return -1;']), ['1: 0 [0]']);
  });

  it('switch: case by case, with fall-through, default, and ret against case 0', () => {
    assert.deepEqual(flow(['int k = 2;', 'switch (k) {', 'case 1: return -1;', 'case 2: return -2;', 'default: return -3;', '}']), [
      '4: -2 [-2]',
    ]);
    assert.deepEqual(flow(['int k = 7;', 'switch (k) {', 'case 1: return -1;', 'default: return -3;', '}']), ['4: -3 [-3]']);
    assert.deepEqual(flow(['int k = 7;', 'switch (k) {', 'case 1: return -1;', '}', 'return 0;']), ['5: 0 [0]']);
    assert.deepEqual(
      flow(['int k = 1, e = 0;', 'switch (k) {', 'case 1: e = -1;', 'case 2: e = e - 1; break;', 'case 3: e = -9;', '}', 'return e;']),
      ['7: -2 [e - 1]'],
    );
    assert.deepEqual(flow(['switch (ret) {', 'case 0: return 0;', 'default: return ret;', '}']), [
      '2: 0 [0] (ret zero)',
      '3: ret (ret nonzero)',
    ]);
    assert.deepEqual(flow(['switch (ret) {', 'case 0: return 0;', '}', 'return ret;']), ['2: 0 [0] (ret zero)', '4: ret (ret nonzero)']);
    assert.deepEqual(flow(['switch (ret) {', 'case -1: return 1;', '}', 'return ret;']), ['2: 1 [1] (ret nonzero)', '4: ret']);
    assert.deepEqual(flow(['switch (file->f_flags) {', 'case 1: return -1;', 'default: break;', '}', 'return 0;']), [
      '2: -1 [-1]',
      '5: 0 [0]',
    ]);
    assert.deepEqual(flow(['switch (ret) {', 'case 0:', '  return 0;', 'case EPERM: /* a comment */', '  return -1;', '}', 'falls();']), [
      '3: 0 [0] (ret zero)',
      '5: -1 [-1] (ret nonzero)',
      'falls off',
    ]);
  });

  it('switch: what it cannot follow makes the flow incomplete', () => {
    assert.deepEqual(flow(['switch (ret) {', 'case X: return -1;', '}', 'return 0;']), ['incomplete']);
    assert.deepEqual(flow(['for (;;) {', '  switch (ret) {', '  case 0: continue;', '  }', '}']), ['incomplete']);
  });

  it('loops: what the loop assigns is unknown after it; a do body runs at least once', () => {
    assert.deepEqual(flow(['int e = 0;', 'for (int i = 0; i < 4; i++)', '  e = -1;', 'return e;']), ['4: ?', '4: ?']);
    assert.deepEqual(flow(['int e = 0, n = 0;', 'while (n < 3)', '  n++;', 'return e;']), ['4: 0 [0]', '4: 0 [0]']);
    assert.deepEqual(flow(['int e = ret;', 'while (file)', '  e = e + 1;', 'return e;']), ['4: ?ret']);
    assert.deepEqual(flow(['while (0)', '  return -1;', 'return 0;']), ['3: 0 [0]']);
    assert.deepEqual(flow(['do {', '  return -1;', '} while (0);', 'return 0;']), ['2: -1 [-1]']);
    assert.deepEqual(flow(['int e = 0;', 'do {', '  e = -1;', '} while (file);', 'return e;']), ['5: ?']);
    assert.deepEqual(flow(['for (;;) {', '  if (file)', '    break;', '}', 'return 0;']), ['5: 0 [0]']);
    assert.deepEqual(flow(['for (;;) {', '  return -1;', '}']), ['2: -1 [-1]']);
    assert.deepEqual(flow(['int i;', 'for (i = 0; i < 2; i++) {', '  if (i) continue;', '  return -1;', '}', 'return 0;']), [
      '4: -1 [-1]',
      '6: 0 [0]',
      '6: 0 [0]',
    ]);
  });

  it('goto a label of the body, and nothing else', () => {
    assert.deepEqual(flow(['int err = 0;', 'if (ret) {', '  err = ret;', '  goto out;', '}', 'err = -EPERM;', 'out:', '  return err;']), [
      '8: ret (ret nonzero)',
      '8: -1 [-EPERM] (ret zero)',
    ]);
    assert.deepEqual(flow(['if (ret)', '  goto out;', 'return 0;', 'out:', '  e();']), ['3: 0 [0] (ret zero)', 'falls off']);
    assert.deepEqual(flow(['goto nowhere;', 'return 0;']), ['incomplete']);
    // A label inside a block is not followed.
    assert.deepEqual(flow(['if (file) {', '  inner: return 0;', '}', 'goto inner;']), ['2: 0 [0]', 'incomplete']);
  });

  it('skips what is not code, and gives up on what it does not understand', () => {
    assert.deepEqual(
      flow([
        '// a comment',
        '#pragma unroll',
        'typedef int myint;',
        'struct s { int a; };',
        'enum e { A };',
        'union u { int a; };',
        'return 0;',
      ]),
      ['7: 0 [0]'],
    );
    // Inline asm as a statement is an expression of unknown value.
    assert.deepEqual(flow(['int e = -1;', 'asm volatile("r0 = 1");', 'return e;']), ['3: -1 [-1]']);
    assert.deepEqual(flow(['@@;', 'return 0;']), ['incomplete']);
    assert.deepEqual(flow(['[[fallthrough]];', 'return 0;']), ['incomplete']);
    assert.deepEqual(flow(['#if X', 'return -1;', '#endif', 'return 0;']), ['incomplete']);
    assert.deepEqual(flow([';', 'return 0;']), ['2: 0 [0]']);
  });

  it('gives up past its bounds: nesting, states and gotos', () => {
    const deep = (n: number) =>
      flow([...Array.from({ length: n }, () => 'if (file) {'), 'return -1;', ...Array.from({ length: n }, () => '}'), 'return 0;']);
    assert.deepEqual(deep(31), ['32: -1 [-1]', '64: 0 [0]']);
    assert.deepEqual(deep(32), ['incomplete']);
    // Eight paths for three variables are kept apart; 2^5 = 32 are joined into one state per fact of ret
    // (then the sixth doubles it).
    const vars = Array.from({ length: 6 }, (_, i) => [`int v${i} = 0;`, `if (file->f_flags & ${1 << i}) v${i} = -1;`]).flat();
    assert.deepEqual(flow([...vars, 'return v0;']), ['13: ?', '13: ?']);
    assert.deepEqual(flow([...vars.slice(0, 6), 'return v0;']), Array(4).fill(['7: -1 [-1]', '7: 0 [0]']).flat());
  });
});

describe('value flow: calls', () => {
  const helper = ['static int check(int x)', '{', '  if (x)', '    return -EPERM;', '  return 0;', '}'];

  it('follows a call to the file’s static function with what it is given', () => {
    assert.deepEqual(flow(['return check(1);'], { before: helper }), ['1: -1 [-EPERM]']);
    assert.deepEqual(flow(['return check(0);'], { before: helper }), ['1: 0 [0]']);
    assert.deepEqual(flow(['return check(file->f_flags);'], { before: helper }), ['1: -1 [-EPERM]', '1: 0 [0]']);
    // Given ret, the helper's test of it says what ret is on each of its returns.
    assert.deepEqual(flow(['return check(ret);'], { before: helper }), ['1: -1 [-EPERM] (ret nonzero)', '1: 0 [0] (ret zero)']);
  });

  it('the callee’s outcome keeps what it learnt of ret, and the caller’s knowledge filters it', () => {
    const pass = ['static __always_inline int pass(int r)', '{', '  if (r)', '    return r;', '  return 0;', '}'];
    assert.deepEqual(flow(['return pass(ret);'], { before: pass }), ['1: ret (ret nonzero)', '1: 0 [0] (ret zero)']);
    assert.deepEqual(flow(['if (!ret) return 0;', 'return pass(ret);'], { before: pass }), ['1: 0 [0] (ret zero)', '2: ret (ret nonzero)']);
    const onRet = ['static inline int verdict(void)', '{', '  return -EACCES;', '}'];
    assert.deepEqual(flow(['if (ret) return ret;', 'return verdict();'], { before: onRet }), [
      '1: ret (ret nonzero)',
      '2: -13 [-EACCES] (ret zero)',
    ]);
  });

  it('does not follow what is not the file’s own: other functions, pointers, wrong arity', () => {
    const extern = ['int shared(int x)', '{', '  return -1;', '}'];
    assert.deepEqual(flow(['return shared(1);'], { before: extern }), ['1: ?']);
    assert.deepEqual(flow(['return shared(ret);'], { before: extern }), ['1: ?ret']);
    assert.deepEqual(flow(['return check(1, 2);'], { before: helper }), ['1: ?']);
    assert.deepEqual(flow(['return bpf_get_current_pid_tgid();']), ['1: ?']);
    assert.deepEqual(flow(['return (*fp)(1);']), ['1: ?']);
  });

  it('a helper that falls off or that the flow cannot follow gives an unknown value', () => {
    const fallsOff = ['static int maybe(int x)', '{', '  if (x)', '    return -1;', '}'];
    assert.deepEqual(flow(['return maybe(file->f_flags);'], { before: fallsOff }), ['1: ?', '1: -1 [-1]']);
    const asm = ['static int opaque(int x)', '{', '  [[fallthrough]];', '  return x;', '}'];
    assert.deepEqual(flow(['return opaque(ret);'], { before: asm }), ['1: ?ret']);
    assert.deepEqual(flow(['return opaque(1);'], { before: asm }), ['1: ?']);
  });

  it('calls are followed three deep, and a recursion is not followed', () => {
    const chain = [
      'static int c3(void) { return -3; }',
      'static int c2(void) { return c3(); }',
      'static int c1(void) { return c2(); }',
      'static int c0(void) { return c1(); }',
    ];
    assert.deepEqual(flow(['return c1();'], { before: chain }), ['1: -3 [-3]']);
    assert.deepEqual(flow(['return c0();'], { before: chain }), ['1: ?']);
    const rec = ['static int r(int x)', '{', '  if (x) return r(x - 1);', '  return -4;', '}'];
    assert.deepEqual(flow(['return r(1);'], { before: rec }), ['1: ?']);
    assert.deepEqual(flow(['return r(file->f_flags);'], { before: rec }), ['1: ?', '1: -4 [-4]']);
  });

  it('arguments are evaluated before the call: their assignments count', () => {
    assert.deepEqual(flow(['int e = 0;', 'bpf_printk("%d", e = -2);', 'return e;']), ['3: -2 [-2]']);
  });
});

describe('mayAllow', () => {
  const outcomes = (body: string[]) =>
    lastFunctionFlow(['int prog(struct file *file, int ret)', '{', ...body, '}'].join('\n'), 'ret').outcomes;

  it('0, ret while it may be 0, and an unknown value may allow; a non-zero constant or a non-zero ret denies', () => {
    assert.deepEqual(outcomes(['if (ret) return ret;', 'if (file) return -1;', 'if (file->f_mode) return file->f_flags;', 'return 0;']), [
      ['3: ret (ret nonzero)', false],
      ['4: -1 [-1] (ret zero)', false],
      ['5: ? (ret zero)', true],
      ['6: 0 [0] (ret zero)', true],
    ]);
    assert.deepEqual(outcomes(['if (!ret) return ret;', 'return ret;']), [
      ['3: ret (ret zero)', true],
      ['4: ret (ret nonzero)', false],
    ]);
    assert.deepEqual(outcomes(['return ret;']), [['3: ret', true]]);
  });

  it('an unknown value may allow even where ret is non-zero', () => {
    assert.deepEqual(outcomes(['if (ret) return file->f_flags;', 'return -1;']), [
      ['3: ? (ret nonzero)', true],
      ['4: -1 [-1] (ret zero)', false],
    ]);
  });
});

describe('value flow: which functions and names it follows', () => {
  it('a helper is the file’s own when static or inline, at the top level or in #if blocks', () => {
    const local = (head: string) => flow(['return h();'], { before: [`${head} h(void)`, '{', '  return -5;', '}'] });
    assert.deepEqual(
      [
        'static int',
        'inline int',
        'static inline int',
        '__always_inline int',
        '__inline int',
        '__inline__ int',
        'int',
        'int /* static */',
      ].map((h) => [h, local(h)]),
      [
        ['static int', ['1: -5 [-5]']],
        ['inline int', ['1: -5 [-5]']],
        ['static inline int', ['1: -5 [-5]']],
        ['__always_inline int', ['1: -5 [-5]']],
        ['__inline int', ['1: -5 [-5]']],
        ['__inline__ int', ['1: -5 [-5]']],
        ['int', ['1: ?']],
        // What is before the body counts, as the compiler reads it: a comment saying static does too.
        ['int /* static */', ['1: -5 [-5]']],
      ],
    );
    assert.deepEqual(flow(['return not_static();'], { before: ['int not_static(void)', '{', '  return -5;', '}'] }), ['1: ?']);
    // Only the helper's own head counts, wherever it sits in the file: a `static` local in the body of a
    // global helper after another function does not make the helper the file's.
    const globalAfterAnother = ['static int first(void) { return 0; }', 'int counted(void)', '{', '  static int n;', '  return -5;', '}'];
    assert.deepEqual(flow(['return counted();'], { before: globalAfterAnother }), ['1: ?']);
    const nested = [
      '#ifdef A',
      '#if B',
      'static int h(void) { return -6; }',
      '#else',
      'static int g(void) { return -7; }',
      '#endif',
      '#endif',
    ];
    assert.deepEqual(flow(['return h();'], { before: nested }), ['1: -6 [-6]']);
    assert.deepEqual(flow(['return g();'], { before: nested }), ['1: -7 [-7]']);
    // The first definition of a name is the one followed.
    const twice = ['#ifdef A', 'static int h(void) { return -1; }', '#else', 'static int h(void) { return -2; }', '#endif'];
    assert.deepEqual(flow(['return h();'], { before: twice }), ['1: -1 [-1]']);
    assert.deepEqual(flow(['return h();'], { before: ['static int *h(void) { return 0; }'] }), ['1: 0 [0]']);
  });

  it('a helper’s parameters must all be plain and named', () => {
    const params = (list: string, call: string) =>
      flow([`return ${call};`], { before: [`static int h(${list})`, '{', '  return -8;', '}'] });
    const cases: [string, string, string[]][] = [
      ['void', 'h()', ['1: -8 [-8]']],
      ['int a, int *p', 'h(1, 0)', ['1: -8 [-8]']],
      ['int a /* the mode */', 'h(1)', ['1: -8 [-8]']],
      ['int a[2]', 'h(0)', ['1: -8 [-8]']],
      ['int', 'h(1)', ['1: ?']],
      ['int a, ...', 'h(1, 2)', ['1: ?']],
      ['int a', 'h()', ['1: ?']],
    ];
    assert.deepEqual(
      cases.map(([l, c]) => [l, c, params(l, c)]),
      cases,
    );
  });

  it('declarators: a parenthesised name is plain; pointers, arrays and local prototypes are not followed', () => {
    assert.deepEqual(flow(['int (x) = -1;', 'return x;']), ['2: -1 [-1]']);
    assert.deepEqual(flow(['int *p = 0, q = -2;', 'return q;']), ['2: -2 [-2]']);
    assert.deepEqual(flow(['int f(void);', 'return f;']), ['2: ?']);
    assert.deepEqual(flow(['int (*fp)(void) = 0;', 'return fp;']), ['2: ?']);
  });

  it('an address is taken by a unary &, not by a bitwise and after a value', () => {
    const e = (use: string) => flow(['int e = -1, m;', use, 'return e;']);
    const cases: [string, string[]][] = [
      ['m = (file->f_flags) & e;', ['3: -1 [-1]']],
      ['m = ((int *)file)[0] & e;', ['3: -1 [-1]']],
      ['m = file->f_flags&e;', ['3: -1 [-1]']],
      ['f(&e);', ['3: ?']],
      ['f(1, & e);', ['3: ?']],
      ['m = !&e;', ['3: ?']],
      ['&e;', ['3: ?']],
    ];
    assert.deepEqual(
      cases.map(([u]) => [u, e(u)]),
      cases,
    );
  });
});

describe('value flow: what the mutation run found untested', () => {
  it('switch: ret known to be 0 takes case 0 only, never the path where no case matched', () => {
    assert.deepEqual(flow(['if (ret) return ret;', 'switch (ret) {', 'case 0: break;', '}', 'return -5;']), [
      '1: ret (ret nonzero)',
      '5: -5 [-5] (ret zero)',
    ]);
    assert.deepEqual(
      flow(['if (ret) return ret;', 'switch (ret) {', 'case 0: break;', 'case -1: return -1;', 'default: return -7;', '}', 'return -5;']),
      ['1: ret (ret nonzero)', '7: -5 [-5] (ret zero)'],
    );
    assert.deepEqual(flow(['if (!ret) return 0;', 'switch (ret) {', 'case 0: return -2;', 'case -1: return -1;', '}', 'return ret;']), [
      '1: 0 [0] (ret zero)',
      '4: -1 [-1] (ret nonzero)',
      '6: ret (ret nonzero)',
    ]);
  });

  it('switch: a subject that is not ret says nothing of ret, with or without a default', () => {
    assert.deepEqual(flow(['switch (file->f_flags) {', 'case 0: return 0;', 'default: return ret;', '}']), ['2: 0 [0]', '3: ret']);
    assert.deepEqual(flow(['switch (file->f_flags) {', 'case 0: return 0;', '}', 'return ret;']), ['2: 0 [0]', '4: ret']);
  });

  it('switch: a body that is not all cases, or a case that is not constant, is not followed', () => {
    assert.deepEqual(flow(['switch (ret) {', 'int y;', 'case 0: return 0;', '}', 'return -1;']), ['incomplete']);
    assert.deepEqual(flow(['switch (ret) {', 'case 0: return 0;', 'case X: return -1;', '}', 'return -2;']), ['incomplete']);
  });

  it('a path knows `x == 0` and `x != 0` of a plain variable as it knows `!x` and `x`', () => {
    const body = (cond: string) =>
      flow(['int x = file->f_flags;', `if (${cond}) {`, '  if (x)', '    return -1;', '  return -2;', '}', 'return 0;']);
    assert.deepEqual(body('x == 0'), ['5: -2 [-2]', '7: 0 [0]']);
    assert.deepEqual(body('0 == x'), ['5: -2 [-2]', '7: 0 [0]']);
    assert.deepEqual(body('x != 0'), ['4: -1 [-1]', '7: 0 [0]']);
  });

  // Five independent branches: 32 paths, past the join bound, before what each test asks.
  const decls = 'int v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0;';
  const many = Array.from({ length: 5 }, (_, i) => `if (file->f_flags & ${1 << i}) v${i} = -1;`);

  it('joining many paths: a value set in two places, or to two values, is no longer known; ret-ness is kept', () => {
    // Same value, two places: the place is part of what is known.
    assert.deepEqual(flow(['int e = -1;', 'if (file->f_mode) e = -1;', decls, ...many, 'return e;']), ['9: ?', '9: ?']);
    // One place, two values.
    assert.deepEqual(flow(['int e = 0;', 'if (file->f_mode) e = 1;', 'e += 1;', decls, ...many, 'return e;']), ['10: ?', '10: ?']);
    // Unknown on one path, unknown but maybe ret on the other.
    assert.deepEqual(flow(['int e = f(ret);', 'if (file->f_mode) e = file->f_flags;', decls, ...many, 'return e;']), [
      '9: ?ret',
      '9: ?ret',
    ]);
    // Fewer paths are not joined.
    assert.deepEqual(flow(['int e = -1;', 'if (file->f_mode) e = -1;', 'return e;']), ['3: -1 [-1]', '3: -1 [-1]']);
  });

  it('joining many paths keeps what they all knew of a variable, and only that', () => {
    assert.deepEqual(flow(['int x = file->f_mode;', 'if (!x) return 0;', decls, ...many, 'if (x) return -1;', 'return -2;']), [
      '2: 0 [0]',
      '9: -1 [-1]',
    ]);
    assert.deepEqual(flow(['int x = file->f_mode;', 'if (x) v0 = 0;', decls, ...many, 'if (x) return -1;', 'return -2;']), [
      '9: -1 [-1]',
      '9: -1 [-1]',
      '10: -2 [-2]',
      '10: -2 [-2]',
    ]);
  });

  it('nesting counts through else-if chains, labels, loops and switch cases', () => {
    const elseIf = (n: number) =>
      flow([...Array.from({ length: n }, (_, i) => `${i ? 'else ' : ''}if (file->f_flags == ${i}) return -1;`), 'return 0;']);
    assert.equal(elseIf(20).length, 21);
    assert.deepEqual(elseIf(70).slice(-1), ['incomplete']);
    const labels = (n: number) => flow([Array.from({ length: n }, (_, i) => `l${i}:`).join(' ') + ' return -1;']);
    assert.deepEqual(labels(10), ['1: -1 [-1]']);
    assert.deepEqual(labels(70), ['incomplete']);
    const loops = (n: number) => flow(['while (file) '.repeat(n) + 'return -1;', 'return 0;']);
    assert.deepEqual(loops(10).slice(0, 1), ['1: -1 [-1]']);
    assert.deepEqual(loops(70), ['incomplete']);
    const cases = (n: number) => flow(['switch (ret) { case 0: '.repeat(n) + 'return -1;' + ' }'.repeat(n), 'return 0;']);
    assert.deepEqual(cases(10), ['1: -1 [-1] (ret zero)', '2: 0 [0] (ret nonzero)']);
    assert.deepEqual(cases(70), ['incomplete']);
  });

  it('goto: the label’s statements run from the label, in the body’s scope', () => {
    assert.deepEqual(flow(['int err = 0;', 'if (ret) goto out;', 'return 0;', 'out:', '  err = -EPERM;', '  return err;']), [
      // The goto's path is followed where the goto is.
      '6: -1 [-EPERM] (ret nonzero)',
      '3: 0 [0] (ret zero)',
    ]);
    assert.deepEqual(flow(['int err = -1;', 'if (ret) {', '  int err = 0;', '  goto out;', '}', 'return 0;', 'out:', '  return err;']), [
      '8: -1 [-1] (ret nonzero)',
      '6: 0 [0] (ret zero)',
    ]);
    // A label inside a block: not followed, even when the body ends in a return.
    assert.deepEqual(flow(['if (file) {', '  inner: return 0;', '}', 'if (ret) goto inner;', 'return -1;']), ['2: 0 [0]', 'incomplete']);
    // A break where no loop or switch takes it (not C a compiler takes): not followed.
    assert.deepEqual(flow(['if (ret) goto out;', 'return 0;', 'out: break;']), ['incomplete']);
  });

  it('for: what its initialiser declares is in scope in the loop', () => {
    assert.deepEqual(flow(['for (int e = -1; ; ) {', '  return e;', '}']), ['2: -1 [-1]']);
  });

  it('calls: a comment among the arguments, the same helper called twice, an unnamed parameter', () => {
    const helper = ['static int check(int x)', '{', '  if (x)', '    return -EPERM;', '  return 0;', '}'];
    assert.deepEqual(flow(['return check(/* the mode */ 1);'], { before: helper }), ['1: -1 [-EPERM]']);
    assert.deepEqual(flow(['if (check(0)) return -2;', 'return check(1);'], { before: helper }), ['2: -1 [-EPERM]']);
    assert.deepEqual(flow(['return h();'], { before: ['static int h(int)', '{', '  return -8;', '}'] }), ['1: ?']);
    assert.deepEqual(flow(['return h();'], { before: ['static int *const h(void) { return 0; }'] }), ['1: 0 [0]']);
  });

  it('a function is the file’s own by what is written before its body, not in it', () => {
    assert.deepEqual(flow(['return h();'], { before: ['int h(void)', '{', '  static int calls;', '  return -5;', '}'] }), ['1: ?']);
  });

  it('declarators: the name is found through sixteen levels of parentheses, and the pointer’s own qualifiers', () => {
    const parens = (n: number) => flow([`int ${'('.repeat(n)}x${')'.repeat(n)} = -1;`, 'return x;']);
    assert.deepEqual(parens(16), ['2: -1 [-1]']);
    assert.deepEqual(parens(17), ['2: ?']);
    assert.deepEqual(flow(['int e = -1;', '{', '  int *const e = 0;', '  return e;', '}']), ['4: ?']);
  });
});
