// The inline-assembly evaluator (analysis/inlineAsm.ts) and the attribute runs between SEC() and a
// function (analysis/attributeMacros.ts, programs.ts), on the forms the kernel's verifier selftests use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeRuns, blankAttributeRuns } from '../../server/src/analysis/attributeMacros';
import { asmBodyReturn, asmReturnValue } from '../../server/src/analysis/inlineAsm';
import { isBetweenMarkerAndFunction } from '../../server/src/analysis/programs';
import { suiteParser } from '../helpers/parsedC';
import { timeLimit } from '../helpers/timeLimit';

describe('asmReturnValue: r0 at the first exit of straight-line BPF assembly', () => {
  const value = (...pieces: string[]) => asmReturnValue(pieces)?.value ?? null;

  it('reads r0 = N, negative, hex and 32-bit moves', () => {
    assert.equal(value('r0 = 0;', 'exit;'), 0);
    assert.equal(value('r0 = -4095;', 'exit;'), -4095);
    assert.equal(value('r0 = -4096;', 'exit;'), -4096);
    assert.equal(value('r0 = 0x10;', 'exit;'), 16);
    assert.equal(value('w0 = 1\n', 'exit\n'), 1);
    assert.equal(value('\tr0 = 2;\n\texit;'), 2);
  });

  it('follows register copies and the last assignment before exit', () => {
    assert.equal(value('r6 = 7;', 'r0 = r6;', 'exit;'), 7);
    assert.equal(value('r0 = 1;', 'r0 = 0;', 'exit;'), 0);
    assert.equal(value('r0 = 3;', 'exit;', 'r0 = 4;', 'exit;'), 3);
    assert.deepEqual(asmReturnValue(['r1 = 5;', 'r0 = 1;', 'exit;']), { value: 1, piece: 1 });
  });

  it('knows nothing after a call, a load or arithmetic into r0', () => {
    assert.equal(value('r0 = 1;', 'call %[bpf_get_prandom_u32];', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'r0 = *(u64 *)(r1 + 16);', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'r0 += 1;', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'r0 s>>= 1;', 'exit;'), null);
    assert.equal(value('r0 = %[val];', 'exit;'), null);
    assert.equal(value('r0 = r1;', 'exit;'), null);
  });

  it('a call clobbers r1-r5, not the callee-saved r6-r9', () => {
    assert.equal(value('r6 = 0;', 'call %[f];', 'r0 = r6;', 'exit;'), 0);
    assert.equal(value('r1 = 0;', 'call %[f];', 'r0 = r1;', 'exit;'), null);
  });

  it('stores change no register', () => {
    assert.equal(value('r0 = 0;', '*(u64 *)(r10 - 8) = r0;', 'lock *(u64 *)(r10 - 8) += r1;', 'exit;'), 0);
  });

  it('claims nothing for jumps, labels, directives, or no exit', () => {
    assert.equal(value('r0 = 1;', 'if r1 == 0 goto l0_%=;', 'r0 = 0;', 'l0_%=:', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'goto +0;', 'exit;'), null);
    assert.equal(value('r0 = 0;', 'may_goto +1;', 'exit;'), null);
    assert.equal(value('r0 = 0;', '.8byte %[insn];', 'exit;'), null);
    assert.equal(value('r0 = 0;'), null);
  });

  it('claims nothing where 64 and 32 bits disagree or the assembler reading is unclear', () => {
    // w0 = -1 leaves 0xffffffff in r0: -1 as an int, 4294967295 as a 64-bit register.
    assert.equal(value('w0 = -1;', 'exit;'), null);
    assert.equal(value('r0 = 4294967295;', 'exit;'), null);
    assert.equal(value('r0 = 0x100000000 ll;', 'exit;'), null);
    assert.equal(value('r0 = -1 ll;', 'exit;'), -1);
  });

  it('names the piece where the instruction that set r0 starts (whitespace before it is not a start)', () => {
    assert.deepEqual(asmReturnValue(['r1 = 5; ', 'r0 = 1;', 'exit;']), { value: 1, piece: 1 });
    assert.deepEqual(asmReturnValue(['r0 =', ' 2;', 'exit;']), { value: 2, piece: 0 });
  });

  it('reads wide (ll) moves into r registers only; a 32-bit immediate within what its register takes', () => {
    assert.equal(value('r0 = 0xffffffffffffffff ll;', 'exit;'), -1);
    assert.equal(value('w0 = 1 ll;', 'exit;'), null);
    assert.equal(value('r0 = 2147483647;', 'exit;'), 2147483647);
    // w1 = 2^32 does not fit 32 bits; -2^31 - 1 does not either: nothing claimed through w0 = w1.
    assert.equal(value('w1 = 4294967296;', 'w0 = w1;', 'exit;'), null);
    assert.equal(value('w0 = -2147483649;', 'exit;'), null);
    assert.equal(value('w1 = 7;', 'w0 = w1;', 'exit;'), 7);
  });

  it('copies only between registers of one width, zero-extending a w copy', () => {
    assert.equal(value('r1 = 3;', 'r0 = w1;', 'exit;'), null);
    assert.equal(value('r1 = -1;', 'w0 = w1;', 'exit;'), null);
    assert.equal(value('r1 = -1;', 'r0 = r1;', 'exit;'), -1);
  });

  it('claims nothing once a register past r10 is named, however it is used', () => {
    assert.equal(value('r11 = 1;', 'r0 = 5;', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'r11 = r0;', 'r0 = 2;', 'exit;'), null);
    assert.equal(value('r0 = r11;', 'r0 = 2;', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'r11 += 1;', 'exit;'), null);
    assert.equal(value('r1 = 2;', 'r1 += 1;', 'r0 = 1;', 'exit;'), 1);
    assert.equal(value('r10 = 4;', 'r0 = r10;', 'exit;'), 4);
  });

  it('a call clobbers r5 too; a jump or label after the first exit still means nothing is known', () => {
    assert.equal(value('r5 = 0;', 'call %[f];', 'r0 = r5;', 'exit;'), null);
    assert.equal(value('r0 = 1;', 'exit;', 'l0_%=:', 'r0 = 2;', 'exit;'), null);
  });

  it('takes up to 4096 instructions', () => {
    assert.equal(value('r0 = 0;'.repeat(4095) + 'exit;'), 0);
    assert.equal(value('r0 = 0;'.repeat(4097) + 'exit;'), null);
  });

  it('is bounded on long input', () => {
    assert.equal(value('r0 = 0;'.repeat(100_000) + 'exit;'), null);
  });
});

describe('attribute runs between SEC() and the function', () => {
  const runsOf = (text: string) => attributeRuns(text).map(([s, e]) => text.slice(s, e));

  it('finds the selftests macros up to the return type', () => {
    const text = 'SEC("lsm/mmap_file")\n__description("a; {b}")\n__failure __msg("R1 \\"x\\"")\n__naked int BPF_PROG(f, struct file *file)';
    assert.deepEqual(runsOf(text), ['__description("a; {b}")', '__failure', '__msg("R1 \\"x\\"")', '__naked']);
    const blanked = blankAttributeRuns(text);
    assert.equal(blanked.length, text.length);
    assert.equal(blanked.replace(/\s+/g, ' '), 'SEC("lsm/mmap_file") int BPF_PROG(f, struct file *file)');
  });

  it('keeps a __-type that is the return type, and runs of bare words', () => {
    assert.deepEqual(runsOf('SEC("lsm/x") __success __msg("m") __u64 f(void *ctx)'), ['__success', '__msg("m")']);
    assert.deepEqual(runsOf('SEC("?lsm/bpf")\n__success __log_level(2)\nint BPF_PROG(f)'), ['__success', '__log_level(2)']);
    assert.deepEqual(runsOf('SEC("lsm/x") __weak __always_inline int f(void *ctx)'), []);
    assert.deepEqual(runsOf('SEC("lsm/x") int f(void *ctx)'), []);
  });

  it('stops at an unclosed or statement-holding group', () => {
    assert.deepEqual(runsOf('SEC("lsm/x") __msg("m" int f(void) { return 0; }'), []);
    assert.deepEqual(runsOf('SEC("lsm/x") __a(x; "y") int f(void)'), []);
  });
});

describe('isBetweenMarkerAndFunction', () => {
  it('accepts return types, attributes and attribute macros with string arguments', () => {
    assert.equal(isBetweenMarkerAndFunction('\nint '), true);
    assert.equal(isBetweenMarkerAndFunction(')) int '), true);
    assert.equal(isBetweenMarkerAndFunction('\n__description("x = {y};")\n__failure __msg("it\'s")\n__naked int '), true);
    assert.equal(isBetweenMarkerAndFunction('\n__flag(BPF_F_SLEEPABLE) /* "a; b" */ // c = d\nint '), true);
  });

  it('rejects statements, initialisers and loose strings', () => {
    assert.equal(isBetweenMarkerAndFunction(';\nint '), false);
    assert.equal(isBetweenMarkerAndFunction(' = "GPL";\nint '), false);
    assert.equal(isBetweenMarkerAndFunction(' "loose" int '), false);
    assert.equal(isBetweenMarkerAndFunction('\n__msg("unclosed) int '), false);
    assert.equal(isBetweenMarkerAndFunction('\nstatic int x = f("a");\nint '), false);
    assert.equal(isBetweenMarkerAndFunction('\n__a(' + '('.repeat(40) + ')'.repeat(41) + ' int '), false);
    // A string argument runs to its closing quote, escapes passed over, on its own line.
    assert.equal(isBetweenMarkerAndFunction('\n__msg("a\\"; b") int '), true);
    assert.equal(isBetweenMarkerAndFunction("\n__c('\\'') int "), true);
    assert.equal(isBetweenMarkerAndFunction('\n__msg("a\n") int '), false);
    assert.equal(isBetweenMarkerAndFunction('\n__msg("a\r") int '), false);
    assert.equal(isBetweenMarkerAndFunction('\n__msg("abc'), false);
    // 16 levels of parentheses are an attribute's; 17 are not.
    assert.equal(isBetweenMarkerAndFunction(`\n__a${'('.repeat(16)}1${')'.repeat(16)} int `), true);
    assert.equal(isBetweenMarkerAndFunction(`\n__a${'('.repeat(17)}1${')'.repeat(17)} int `), false);
  });

  it('passes over comments from their start to their end; an unclosed one ends nothing', () => {
    // A "*/" before the comment starts is not its end.
    assert.equal(isBetweenMarkerAndFunction('x*/* a; */ int '), true);
    assert.equal(isBetweenMarkerAndFunction(' /**/ int '), true);
    assert.equal(isBetweenMarkerAndFunction(' /* a; int '), false);
    assert.equal(isBetweenMarkerAndFunction(' // a; \r int '), true);
    assert.equal(isBetweenMarkerAndFunction(' // a;\n; int '), false);
  });
});

describe('attribute runs on hostile text', () => {
  it('reads text once, not once per marker', () => {
    for (const unit of ['SEC("lsm/a") __x(', 'SEC("lsm/a") __x /*', 'SEC("lsm/a") __m("a") __x int /* ']) {
      const text = unit.repeat(Math.floor((4 * 1024 * 1024) / unit.length));
      const start = process.hrtime.bigint();
      attributeRuns(text);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(ms < timeLimit(2000), `${JSON.stringify(unit)} x ${text.length / unit.length}: ${ms.toFixed(0)} ms`);
    }
  });
});

describe('asmBodyReturn: a naked function whose body is one asm statement', () => {
  const { parse } = suiteParser();
  /** r0 at the exit and the text of the literal that set it, for the body of `int f(void) BODY`. */
  const returned = (body: string) => {
    const tree = parse(`int f(void) ${body}`);
    const r = asmBodyReturn(tree.rootNode.descendantsOfType('function_definition')[0]!.childForFieldName('body')!);
    return r && { value: r.value, literal: r.node.text };
  };

  it('reads one literal or a concatenation of literals, naming the one that set r0', () => {
    assert.deepEqual(returned('{ asm volatile("r0 = 3; exit;"); }'), { value: 3, literal: '"r0 = 3; exit;"' });
    assert.deepEqual(returned('{ asm volatile("r1 = 1;" "r0 = -1;" "exit;" ::: __clobber_all); }'), { value: -1, literal: '"r0 = -1;"' });
  });

  it('claims nothing for a macro or a prefixed literal among the pieces, another statement, or no asm', () => {
    assert.equal(returned('{ asm volatile("r0 = 1;" EXIT); }'), null);
    assert.equal(returned('{ asm volatile(u8"r0 = 1;" "exit;"); }'), null);
    assert.equal(returned('{ asm volatile("r0 = 1; exit;"); return 0; }'), null);
    assert.equal(returned('{ ; }'), null);
    assert.equal(returned('{ x; }'), null);
    assert.equal(returned('{ }'), null);
  });
});
