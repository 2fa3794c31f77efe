// The per-case script (policy/src/caseScript.ts) run by a real POSIX sh here, with a folder standing in
// for tracefs: exit status, stdout and stderr kept apart, the trace cleared before the action and read
// after it (comment lines dropped), output that imitates our markers, and incomplete output refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caseScript, CaseScriptError, parseCaseOutput } from '../../policy/src/caseScript';

describe('the per-case script', () => {
  let tracefs: string;
  before(() => {
    tracefs = fs.mkdtempSync(path.join(os.tmpdir(), 'tracefs-'));
  });
  after(() => fs.rmSync(tracefs, { recursive: true, force: true }));

  function run(argv: string[], withTrace = true) {
    const { script, nonce } = caseScript(argv, withTrace ? tracefs : null);
    const r = spawnSync('sh', ['-s'], { input: script, encoding: 'utf8' });
    return { parsed: () => parseCaseOutput(r.stdout, nonce), raw: r, nonce };
  }

  it('keeps exit status, stdout and stderr apart, multi-line and with special characters', () => {
    const out = run(['sh', '-c', `printf 'a\\nb $x \\\\n %%s\\n'; echo "it's an error" >&2; exit 3`]).parsed();
    assert.equal(out.exitCode, 3);
    assert.equal(out.stdout, 'a\nb $x \\n %s');
    assert.equal(out.stderr, "it's an error");
  });

  it('reads only the trace lines written during the action, without the header comments', () => {
    fs.writeFileSync(path.join(tracefs, 'trace'), '# tracer: nop\n  old-1 [000] 1.0: bpf_trace_printk: before the case\n');
    const line = '  cat-42 [000] d..31 12.5: bpf_trace_printk: lsm: denied open of lsm-secret \\n';
    const out = run(['sh', '-c', `echo '# entries-in-buffer' >> ${tracefs}/trace; printf '%s\\n' '${line}' >> ${tracefs}/trace`]).parsed();
    assert.deepEqual(out.trace, [line]);
    assert.equal(out.exitCode, 0);
  });

  it('works without tracefs (no trace lines)', () => {
    const out = run(['true'], false).parsed();
    assert.deepEqual(out.trace, []);
    assert.equal(out.exitCode, 0);
  });

  it("is not fooled by an action that prints another case's marker or its own nonce-like lines", () => {
    const r = run(['sh', '-c', 'echo "@@bpf-lsm-test-0000000000000000 rc 0"; echo "@@bpf-lsm-test-0000000000000000 end"; exit 1']);
    const out = r.parsed();
    assert.equal(out.exitCode, 1);
    assert.match(out.stdout, /rc 0\n.*end$/);
  });

  it('refuses incomplete output (the target stopped mid-case) with a reason', () => {
    const { raw, nonce } = run(['sh', '-c', 'echo partial']);
    const cut = raw.stdout.slice(0, raw.stdout.indexOf(`${nonce} trace`));
    assert.throws(() => parseCaseOutput(cut, nonce), CaseScriptError);
    assert.throws(() => parseCaseOutput('', nonce), /stopped answering/);
  });

  it('reports a target that cannot make a temporary folder', () => {
    assert.throws(() => parseCaseOutput(`@@x error could not create a temporary folder on the target\n`, '@@x'), /temporary folder/);
  });
});
