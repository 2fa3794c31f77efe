// The per-case script (policy/src/caseScript.ts) run by a real POSIX sh here, the way the target's login
// shell runs it, with a folder standing in for tracefs: exit status, stdout and stderr kept apart (the
// last line even without a newline), the case's begin and done marks written around the action only,
// lines that imitate our markers, incomplete output refused; and the trace stream divided among cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caseScript, CaseScriptError, parseCaseOutput, traceOfCase } from '../../policy/src/caseScript';

describe('the per-case script', () => {
  let tracefs: string;
  let workDir: string;
  before(() => {
    tracefs = fs.mkdtempSync(path.join(os.tmpdir(), 'tracefs-'));
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'casework-'));
  });
  after(() => {
    fs.rmSync(tracefs, { recursive: true, force: true });
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  function run(argv: string[], options: { trace?: boolean; dir?: string } = {}) {
    const { script, nonce } = caseScript(argv, {
      tracefs: options.trace === false ? null : tracefs,
      workDir: options.dir ?? workDir,
      kernelLog: false,
    });
    // As ssh hands it to the login shell: the script is the command.
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    return { parsed: () => parseCaseOutput(r.stdout, nonce), raw: r, nonce };
  }

  it('keeps exit status, stdout and stderr apart, multi-line, special characters, no final newline', () => {
    const out = run(['sh', '-c', `printf 'a\\nb $x \\\\n %%s\\nlast'; echo "it's an error" >&2; exit 3`]).parsed();
    assert.equal(out.exitCode, 3);
    assert.equal(out.stdout, 'a\nb $x \\n %s\nlast');
    assert.equal(out.stderr, "it's an error");
    assert.deepEqual(out.kernelWarnings, []);
  });

  it('writes the begin and done marks to trace_marker around the action, and nothing else', () => {
    const marker = path.join(tracefs, 'trace_marker');
    fs.writeFileSync(marker, '');
    const { nonce, parsed } = run(['sh', '-c', `echo during >> ${marker}`]);
    assert.equal(parsed().exitCode, 0);
    assert.equal(fs.readFileSync(marker, 'utf8'), `${nonce} begin\nduring\n${nonce} done\n`);
  });

  it('works without tracefs', () => {
    assert.equal(run(['true'], { trace: false }).parsed().exitCode, 0);
  });

  it("is not fooled by an action that prints another case's marker lines", () => {
    const out = run([
      'sh',
      '-c',
      'echo "@@bpf-lsm-test-0000000000000000 rc 0"; echo "@@bpf-lsm-test-0000000000000000 end"; exit 1',
    ]).parsed();
    assert.equal(out.exitCode, 1);
    assert.match(out.stdout, /rc 0\n.*end$/);
  });

  it('refuses incomplete output (the target stopped mid-case) with a reason', () => {
    const { raw, nonce } = run(['sh', '-c', 'echo partial']);
    const cut = raw.stdout.slice(0, raw.stdout.indexOf(`${nonce} dmesg`));
    assert.throws(() => parseCaseOutput(cut, nonce), CaseScriptError);
    assert.throws(() => parseCaseOutput('', nonce), /stopped answering/);
  });

  it('says so when the output folder cannot be written, instead of dying silently', () => {
    const { parsed } = run(['true'], { dir: path.join(workDir, 'missing') });
    assert.throws(parsed, /cannot write the case's output/);
  });
});

describe("a case's trace lines", () => {
  const line = (text: string) => `  cat-42 [000] d..31 12.5: bpf_trace_printk: ${text}`;
  const mark = (text: string) => `  sh-40 [000] ..... 12.4: tracing_mark_write: ${text}`;
  const stream = [line('before'), mark('@@a begin'), line('in a'), mark('@@a done'), mark('@@b begin'), line('in b 1'), line('in b 2')];

  it('are the lines between its begin and done marks', () => {
    assert.deepEqual(traceOfCase(stream, '@@a'), { lines: [line('in a')], complete: true });
  });
  it('are incomplete until its done mark has arrived', () => {
    assert.deepEqual(traceOfCase(stream, '@@b'), { lines: [line('in b 1'), line('in b 2')], complete: false });
    assert.deepEqual(traceOfCase([...stream, mark('@@b done'), line('after')], '@@b').complete, true);
  });
  it('are none for a case whose begin mark has not arrived', () => {
    assert.deepEqual(traceOfCase(stream, '@@c'), { lines: [], complete: false });
  });
});
