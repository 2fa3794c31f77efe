// The inline-assembly evaluator (analysis/inlineAsm.ts) and the attribute runs between SEC() and a
// function (analysis/attributeMacros.ts, programs.ts), on the forms the kernel's verifier selftests use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeRuns, blankAttributeRuns } from '../../server/src/analysis/attributeMacros';
import { asmReturnValue } from '../../server/src/analysis/inlineAsm';
import { isBetweenMarkerAndFunction } from '../../server/src/analysis/programs';
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
