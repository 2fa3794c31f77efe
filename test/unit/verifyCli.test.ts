// bpf-lsm-verify's command line without a VM: usage errors and infrastructure failures are exit 2 with a
// message (no rows), the three formats on results read from logs real kernels printed (6.1 loads the
// branchless denial, 6.12 refuses it at line 17), and the exit status they give. The run on real VMs is in
// test/vm/verify.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseLoadOnly } from '../../engine/src/loadOnly';
import { programResult } from '../../engine/src/verify';
import { formatCsv, formatJson, formatText, main, toRow } from '../../policy/src/verifyCli';
import { runMain } from '../helpers/cliMain';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

const cli = (...args: string[]) => runMain(main, args);

const SOURCE = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'verifier-editor', 'branchless-deny.bpf.c');
const noObject = () => ({ programs: [], lines: new Map() });
function recordedRows() {
  const rows = [];
  for (const kernel of ['6.1', '6.12']) {
    const out = fs.readFileSync(path.join(FIXTURES, 'verifier-logs', `${kernel}-branchless-deny-l5.out`), 'utf8');
    for (const p of parseLoadOnly(out, out)!) rows.push(toRow(programResult(SOURCE, kernel, p, noObject), REPO_ROOT));
  }
  return rows;
}

describe('bpf-lsm-verify command line', () => {
  it('prints its usage with --help and exits 0', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: bpf-lsm-verify \[--kernel/);
    assert.match(r.out, /Exit status: 0 all verified, 1 a program refused/);
  });

  it('refuses bad arguments with exit 2, a message and no rows', async () => {
    for (const [args, why] of [
      [['--format', 'xml', SOURCE], /--format must be text, json or csv/],
      [['--log-level', '3', SOURCE], /--log-level must be 1 or 2/],
      [['--kernel', '6.x', SOURCE], /'6\.x' is not a kernel series/],
      [['--target', 'vm', '--kernel', '6.1', SOURCE], /with --target the kernel is the one the target runs/],
      [[], /name at least one file/],
      [[path.join(REPO_ROOT, 'no-such.bpf.c')], /no-such\.bpf\.c: no such file/],
      [[path.join(REPO_ROOT, 'test')], /test: no such file/],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, why);
      assert.equal(r.out, '');
    }
  });

  it('says an unreachable target is an infrastructure error (exit 2), not a row', async () => {
    // Port 1 on loopback: nothing listens there, ssh is refused at once.
    const r = await cli('--target', 'root@127.0.0.1:1', '--format', 'json', SOURCE);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /^bpf-lsm-verify: target root@127\.0\.0\.1:1: /);
    assert.equal(r.out, '');
  });

  it('says a kernel without a test VM is an infrastructure error (exit 2)', async () => {
    const r = await cli('--kernel', '9.9', SOURCE);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /9\.9/);
    assert.equal(r.out, '');
  });

  it('is bundled as dist/bpf-lsm-verify.js, which says its usage', () => {
    const bundle = path.join(REPO_ROOT, 'dist', 'bpf-lsm-verify.js');
    const r = spawnSync(process.execPath, [bundle, '--format', 'yaml', SOURCE], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--format must be text, json or csv/);
  });
});

describe('bpf-lsm-verify formats', () => {
  it('json: one object per program and kernel, 1-based line, null when verified', () => {
    const rows = JSON.parse(formatJson(recordedRows())) as unknown[];
    assert.deepEqual(rows, [
      {
        file: 'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c',
        program: 'deny_read_open',
        section: 'lsm/file_open',
        kernel: '6.1',
        verdict: 'verified',
        line: null,
        column: null,
        message: null,
        insns: 11,
        states: 1,
        ms: 59.399,
      },
      {
        file: 'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c',
        program: 'allow_all',
        section: 'lsm/file_permission',
        kernel: '6.1',
        verdict: 'verified',
        line: null,
        column: null,
        message: null,
        insns: 2,
        states: 0,
        ms: 0.91,
      },
      {
        file: 'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c',
        program: 'deny_read_open',
        section: 'lsm/file_open',
        kernel: '6.12',
        verdict: 'rejected',
        line: 17,
        column: 3,
        message: 'At program exit the register R0 has unknown scalar value should have been in [-4095, 0]',
        insns: 10,
        states: 0,
        ms: 3.694,
      },
      {
        file: 'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c',
        program: 'allow_all',
        section: 'lsm/file_permission',
        kernel: '6.12',
        verdict: 'verified',
        line: null,
        column: null,
        message: null,
        insns: 2,
        states: 0,
        ms: 1.102,
      },
    ]);
  });

  it('csv: a header, the same fields, quoted where needed', () => {
    const lines = formatCsv(recordedRows()).trimEnd().split('\n');
    assert.equal(lines[0], 'file,program,section,kernel,verdict,line,column,message,insns,states,ms');
    assert.equal(
      lines[1],
      'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c,deny_read_open,lsm/file_open,6.1,verified,,,,11,1,59.399',
    );
    assert.equal(
      lines[3],
      'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c,deny_read_open,lsm/file_open,6.12,rejected,17,3,"At program exit the register R0 has unknown scalar value should have been in [-4095, 0]",10,0,3.694',
    );
    assert.equal(lines.length, 5);
  });

  it('text: a veristat-like table, then each refusal at file:line:column with its message', () => {
    assert.equal(
      formatText(recordedRows()),
      [
        'File                                                    Program         Kernel  Verdict   Insns  States     Time',
        '------------------------------------------------------  --------------  ------  --------  -----  ------  -------',
        'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c  deny_read_open  6.1     verified     11       1  59.4 ms',
        'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c  allow_all       6.1     verified      2       0   0.9 ms',
        'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c  deny_read_open  6.12    rejected     10       0   3.7 ms',
        'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c  allow_all       6.12    verified      2       0   1.1 ms',
        '',
        'test/vm/fixtures/verifier-editor/branchless-deny.bpf.c:17:3: 6.12 refused deny_read_open: At program exit the register R0 has unknown scalar value should have been in [-4095, 0]',
        '',
      ].join('\n'),
    );
  });
});
