// The verifier's log read for the editor and bpf-lsm-verify, on logs real kernels printed for the
// fixtures in test/vm/fixtures/verifier-editor/ (lsm-loader --load-only --log-level 5: the failing path
// and BPF_LOG_STATS): the statistics, the kernel's timing, the message, and the source line it failed
// on, from the log's `@ file:line` (6.12) or the object's BTF line info (6.1). Expected values are literal.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { lineOfInsn, readObjectLineInfo } from '../../engine/src/btfLineInfo';
import { parseLoadOnly } from '../../engine/src/loadOnly';
import { programResult } from '../../engine/src/verify';
import { explainVerifierMessage } from '../../engine/src/verifierExplain';
import { blamedInsn, extractVerifierLog, parseVerifierLog } from '../../engine/src/verifierLog';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

const LOGS = path.join(FIXTURES, 'verifier-logs');
const SOURCES = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'verifier-editor');
const recorded = (name: string) => fs.readFileSync(path.join(LOGS, name), 'utf8');
/** The loader's stdout and stderr, recorded one after the other. */
const programs = (name: string) => {
  const out = recorded(name);
  return parseLoadOnly(out, out)!;
};
const object61 = () => readObjectLineInfo(fs.readFileSync(path.join(LOGS, '6.1-map-null-check.bpf.o')));
const noObject = () => readObjectLineInfo(Buffer.alloc(0));

describe('parseVerifierLog', () => {
  it("reads 6.12's refusal of the branchless denial: message, statistics, time and the annotated path", () => {
    const log = extractVerifierLog(recorded('6.12-branchless-deny-l5.out'))!;
    const parsed = parseVerifierLog(log);
    assert.equal(parsed.message, 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]');
    assert.deepEqual(parsed.stats, { insns: 10, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0 });
    assert.equal(parsed.timeUsec, 3694);
    assert.deepEqual(
      parsed.path.map((p) => [p.index, p.text, p.source?.line]),
      [
        [0, 'r0 = *(u64 *)(r1 +8)', 15],
        [1, 'r2 = r0', 15],
        [2, 'r2 <<= 32', 15],
        [3, 'r2 >>= 32', 15],
        [4, 'if r2 != 0x0 goto pc+4', 16],
        [5, 'r1 = *(u64 *)(r1 +0)', 15],
        [6, 'r0 = *(u32 *)(r1 +12)', 17],
        [7, 'r0 &= 1', 17],
        [8, 'r0 = -r0', 17],
        [9, 'exit', 15],
      ],
    );
    assert.equal(parsed.failing?.index, 9);
    // The exit's own line is the function's opening; the blame goes to the code that set R0.
    assert.equal(blamedInsn(parsed)?.index, 8);
  });

  it('finds the same message at level 2, after the precision tracking lines', () => {
    const parsed = parseVerifierLog(extractVerifierLog(recorded('6.12-branchless-deny-l6.out'))!);
    assert.equal(parsed.message, 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]');
    assert.equal(parsed.timeUsec, 17573);
    assert.equal(blamedInsn(parsed)?.source?.text, 'return (file->f_mode & FMODE_READ) ? -EPERM : 0;');
  });

  it("reads 6.1's annotations, which have no file:line, and its statistics of a success", () => {
    const parsed = parseVerifierLog(extractVerifierLog(recorded('6.1-map-null-check-l5.out'))!);
    assert.equal(parsed.message, "R0 invalid mem access 'map_value_or_null'");
    assert.deepEqual(parsed.failing && { index: parsed.failing.index, source: parsed.failing.source }, {
      index: 12,
      source: { text: '*count += 1;' },
    });
    const [, checked] = programs('6.1-map-null-check-l5.out');
    assert.ok(checked.loaded);
    const ok = parseVerifierLog(checked.log!);
    assert.equal(ok.message, undefined);
    assert.deepEqual(ok.stats, { insns: 20, maxStatesPerInsn: 0, totalStates: 1, peakStates: 1 });
    assert.equal(ok.timeUsec, 3492);
  });

  it("ends the path at 7.3's explained block and takes the message before it", () => {
    const parsed = parseVerifierLog(extractVerifierLog(recorded('7.3-changed-prototype.log'))!);
    assert.equal(parsed.message, 'R1 pointer arithmetic with <<= operator prohibited');
    assert.equal(parsed.stats?.totalStates, 2);
  });

  it('gives no message and an empty path for an empty log', () => {
    assert.deepEqual(parseVerifierLog(''), { path: [] });
  });
});

describe('readObjectLineInfo', () => {
  it("maps the 6.1 object's instructions to lines, per program", () => {
    const info = object61();
    assert.deepEqual(info.programs, [
      { name: 'count_unchecked', section: 'lsm/file_open', offset: 0 },
      { name: 'count_checked', section: 'lsm/file_open', offset: 136 },
    ]);
    const line = lineOfInsn(info, 'count_unchecked', 12)!;
    // clang records the path it compiled: the recording VM's checkout.
    assert.equal(path.basename(line.file), 'map-null-check.bpf.c');
    assert.deepEqual({ ...line, file: undefined }, { insnOff: 96, file: undefined, text: '  *count += 1;', line: 21, column: 10 });
    // count_checked's instruction 12 is the object's 29th: its own `if (count)` line.
    assert.equal(lineOfInsn(info, 'count_checked', 12)?.line, 30);
    assert.equal(lineOfInsn(info, 'count_unchecked', 17), undefined, 'past the program: another program');
    assert.equal(lineOfInsn(info, 'nope', 0), undefined);
  });

  it('reads garbage and truncated objects as empty', () => {
    const bytes = fs.readFileSync(path.join(LOGS, '6.1-map-null-check.bpf.o'));
    assert.deepEqual(readObjectLineInfo(Buffer.from('not an object')), { programs: [], lines: new Map() });
    for (const cut of [64, 512, 1500, 2500]) {
      const info = readObjectLineInfo(bytes.subarray(0, cut));
      assert.ok(Array.isArray(info.programs));
    }
  });
});

describe('programResult', () => {
  it('puts the 6.12 refusal of the branchless denial on its return line, with the path', () => {
    const source = path.join(SOURCES, 'branchless-deny.bpf.c');
    const [refused, allowed] = programs('6.12-branchless-deny-l5.out');
    const r = programResult(source, '6.12', refused, noObject);
    assert.equal(r.verdict, 'rejected');
    assert.equal(r.line, 17);
    assert.equal(r.column, 3);
    assert.equal(r.failedFile, source);
    assert.equal(r.message, 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]');
    assert.equal(r.insns, 10);
    assert.equal(r.ms, 3.694);
    assert.deepEqual(
      r.failingPath.map((l) => l.line),
      [15, 16, 17],
    );
    const ok = programResult(source, '6.12', allowed, noObject);
    assert.deepEqual([ok.verdict, ok.line, ok.message, ok.insns, ok.states, ok.ms], ['verified', null, null, 2, 0, 1.102]);
  });

  it('verifies the branchless denial on 6.1, which has no return-range check', () => {
    const source = path.join(SOURCES, 'branchless-deny.bpf.c');
    const [denial] = programs('6.1-branchless-deny-l5.out');
    const r = programResult(source, '6.1', denial, noObject);
    assert.deepEqual([r.verdict, r.insns, r.ms], ['verified', 11, 59.399]);
  });

  it("finds 6.1's failing line through the object's line info", () => {
    const source = path.join(SOURCES, 'map-null-check.bpf.c');
    const [unchecked] = programs('6.1-map-null-check-l5.out');
    const r = programResult(source, '6.1', unchecked, object61);
    assert.deepEqual([r.line, r.column, r.message], [21, 10, "R0 invalid mem access 'map_value_or_null'"]);
    assert.deepEqual(
      r.failingPath.map((l) => l.line),
      [17, 18, 19, 20, 21],
    );
  });

  it('falls back to the one source line with the annotation text when there is no line info', () => {
    const source = path.join(SOURCES, 'map-null-check.bpf.c');
    const [unchecked] = programs('6.1-map-null-check-l5.out');
    const r = programResult(source, '6.1', unchecked, noObject);
    // `*count += 1;` is on line 21 only; `u32 uid = ...` is on two lines (both programs): left out.
    assert.equal(r.line, 21);
    assert.equal(r.column, 3);
    assert.deepEqual(
      r.failingPath.map((l) => l.line),
      [17, 21],
    );
  });

  it("agrees with 6.12's own file:line for the same refusal", () => {
    const source = path.join(SOURCES, 'map-null-check.bpf.c');
    const [unchecked] = programs('6.12-map-null-check-l5.out');
    const r = programResult(source, '6.12', unchecked, noObject);
    assert.deepEqual([r.line, r.message], [21, "R0 invalid mem access 'map_value_or_null'"]);
    assert.deepEqual(
      r.failingPath.map((l) => l.line),
      [17, 18, 19, 20, 21],
    );
  });
});

describe('explainVerifierMessage', () => {
  it('explains the common refusals and stays quiet on others', () => {
    assert.match(
      explainVerifierMessage('At program exit the register R0 has unknown scalar value should have been in [-4095, 0]')!,
      /branchless/,
    );
    assert.match(explainVerifierMessage("R0 invalid mem access 'map_value_or_null'")!, /NULL/);
    assert.match(explainVerifierMessage('helper call is not allowed in probe')!, /not available/);
    assert.match(explainVerifierMessage('back-edge from insn 12 to 4')!, /loop/);
    assert.match(explainVerifierMessage("R1 invalid mem access 'scalar'")!, /memory access/);
    assert.match(explainVerifierMessage('kernel function bpf_foo is sleepable within non-sleepable section')!, /sleep/);
    assert.equal(explainVerifierMessage('something new'), undefined);
  });
});

describe('instructions per source line (log level 2)', () => {
  const source = path.join(SOURCES, 'map-null-check.bpf.c');
  const counts = (r: ReturnType<typeof programResult>) => r.lineCounts?.map((c) => [path.basename(c.file), c.line, c.insns]);

  it("counts every visit on 6.12 from the log's file:line, summing to the processed instructions", () => {
    const [, checked] = programs('6.12-map-null-check-l6.out');
    const r = programResult(source, '6.12', checked, noObject, { lineCounts: true });
    // Line 26 (the opening and the exit) is walked three times: the fall-through and both branches.
    assert.deepEqual(counts(r), [
      ['map-null-check.bpf.c', 26, 10],
      ['map-null-check.bpf.c', 27, 1],
      ['map-null-check.bpf.c', 28, 4],
      ['map-null-check.bpf.c', 29, 2],
      ['map-null-check.bpf.c', 30, 3],
    ]);
    assert.equal(r.insns, 20);
    assert.equal(
      r.lineCounts!.reduce((n, c) => n + c.insns, 0),
      20,
    );
  });

  it("counts 6.1's visits through the object's line info, as 6.12 does", () => {
    const [, checked] = programs('6.1-map-null-check-l6.out');
    const r = programResult(source, '6.1', checked, object61, { lineCounts: true });
    assert.deepEqual(counts(r), [
      ['map-null-check.bpf.c', 26, 10],
      ['map-null-check.bpf.c', 27, 1],
      ['map-null-check.bpf.c', 28, 4],
      ['map-null-check.bpf.c', 29, 2],
      ['map-null-check.bpf.c', 30, 3],
    ]);
  });

  it('gives no counts unless asked', () => {
    const [, checked] = programs('6.12-map-null-check-l6.out');
    assert.equal(programResult(source, '6.12', checked, noObject).lineCounts, undefined);
  });
});
