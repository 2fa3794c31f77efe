// The attribute runs after SEC("...") that the parser is given blanked (verifier selftests write
// `SEC("lsm/x") __description("...") __failure __msg("...") int BPF_PROG(...)`): which macros a run holds,
// where it stops, and the bounds on what it reads. Each run is written out as the text it covers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeRuns, blankAttributeRuns } from '../../server/src/analysis/attributeMacros';

const runs = (text: string) => attributeRuns(text).map(([start, end]) => text.slice(start, end));

describe('attribute runs after SEC()', () => {
  it('takes each macro up to the return type, with its arguments', () => {
    assert.deepEqual(runs('SEC("lsm/file_open") __description("open") __failure __msg("R1 invalid") int BPF_PROG(f) {}'), [
      '__description("open")',
      '__failure',
      '__msg("R1 invalid")',
    ]);
    // A run of bare macros is a declaration's specifiers to tree-sitter: left alone.
    assert.deepEqual(runs('SEC("lsm/file_open") __success __naked int f(void) {}'), []);
    assert.deepEqual(runs('__msg("x") int f(void);'), [], 'no SEC');
    assert.deepEqual(runs('SECTION __msg("x") int f(void);'), [], 'no SEC("...")');
  });

  it('reads strings and characters inside a group as text: parentheses and escaped quotes in them do not count', () => {
    assert.deepEqual(runs('SEC("s") __msg("a) \\" (b") __failure int f(void) {}'), ['__msg("a) \\" (b")', '__failure']);
    assert.deepEqual(runs("SEC(\"s\") __c(')') __d('\\'') int f(void) {}"), ["__c(')')", "__d('\\'')"]);
    assert.deepEqual(runs('SEC("s") __msg("x;{}") int f(void) {}'), ['__msg("x;{}")']);
  });

  it('stops a run at a group that is broken: a line end in a string, a statement, an unclosed string', () => {
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg("a\nb") int f(void) {}'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg(a; b) int f(void) {}'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg({) int f(void) {}'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg(}) int f(void) {}'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg("abc'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg(\'abc'), ['__log_level(2)']);
    assert.deepEqual(runs('SEC("s") __log_level(2) __msg((1)'), ['__log_level(2)']);
  });

  it('bounds a group: 16 levels of parentheses and 4096 characters', () => {
    const nested = (n: number) => `__m(${'('.repeat(n - 1)}1${')'.repeat(n)}`;
    assert.deepEqual(runs(`SEC("s") __a(1) ${nested(16)} int f(void) {}`), ['__a(1)', nested(16)]);
    assert.deepEqual(runs(`SEC("s") __a(1) ${nested(17)} int f(void) {}`), ['__a(1)']);
    // The group from its "(" to its ")": 4096 characters read, the ")" the last of them.
    const fits = `__m(${'x'.repeat(4094)})`;
    assert.deepEqual(runs(`SEC("s") __a(1) ${fits} int f(void) {}`), ['__a(1)', fits]);
    const over = `__m(${'x'.repeat(4095)})`;
    assert.deepEqual(runs(`SEC("s") __a(1) ${over} int f(void) {}`), ['__a(1)']);
    const longString = `__m("${'x'.repeat(4093)}")`;
    assert.deepEqual(runs(`SEC("s") __a(1) ${longString} int f(void) {}`), ['__a(1)']);
  });

  it('skips comments between macros; an unclosed comment ends the run', () => {
    assert.deepEqual(runs('SEC("s") /* a */ __msg("x") // b\n /**/ __failure\n int f(void) {}'), ['__msg("x")', '__failure']);
    assert.deepEqual(runs('SEC("s") __msg("x") /* never closed __failure int f(void) {}'), ['__msg("x")']);
    assert.deepEqual(runs('SEC("s") __msg("x") // to the end'), ['__msg("x")']);
  });

  it('ends at __attribute__, at a return type spelled __u64, and after 32 macros', () => {
    assert.deepEqual(runs('SEC("s") __msg("x") __attribute__((used)) int f(void) {}'), ['__msg("x")']);
    assert.deepEqual(runs('SEC("s") __msg("x") __u64 BPF_PROG(f) {}'), ['__msg("x")']);
    // Two attributes, not a return type: `__failure` is followed by another `__` word.
    assert.deepEqual(runs('SEC("s") __failure __msg("x") int f(void) {}'), ['__failure', '__msg("x")']);
    // A bare word before the name with no "(" after it: still an attribute.
    assert.deepEqual(runs('SEC("s") __msg("x") __weak int f(void) {}'), ['__msg("x")', '__weak']);
    const many = Array.from({ length: 40 }, (_, i) => `__m${i}(${i})`);
    assert.deepEqual(runs(`SEC("s") ${many.join(' ')} int f(void) {}`), many.slice(0, 32));
  });

  it('finds the run of each SEC(), and skips a SEC() inside a run it read', () => {
    const text = 'SEC("a") __msg("1") int f(void) {}\nSEC("b") __msg("2") int g(void) {}';
    assert.deepEqual(runs(text), ['__msg("1")', '__msg("2")']);
    assert.deepEqual(runs('SEC("a") __msg("SEC(\\"b\\") __msg(3)") int f(void) {}'), ['__msg("SEC(\\"b\\") __msg(3)")']);
    // A SEC() read as part of a run's arguments is not the start of another run.
    assert.deepEqual(runs('SEC("a") __msg(SEC("b") __x(1)) int f(void) {}'), ['__msg(SEC("b") __x(1))']);
  });

  it('blanks the runs for the parser, keeping every offset and line end', () => {
    const text = 'SEC("s") __msg("a\\\nb") __log_level(2)\n__failure int f(void) {}';
    // `__msg("a\` (9), the line end in its string kept, `b")` and ` __log_level(2)` (3 + 15), `__failure` (9).
    assert.equal(blankAttributeRuns(text), `SEC("s") ${' '.repeat(9)}\n${' '.repeat(18)}\n${' '.repeat(9)} int f(void) {}`);
    assert.equal(blankAttributeRuns('int f(void) {}'), 'int f(void) {}');
  });
});
