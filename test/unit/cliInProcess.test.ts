// bpf-lsm-lint's main() in this process, output collected: what each run prints and its exit code,
// written out. cli.test.ts runs the built linter as a process; this is what the mutation run can see.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../server/src/cli/lint';
import { runMain } from '../helpers/cliMain';
import { KNOWN_CHECK_CODES } from '../helpers/expectations';

const FIXTURE = path.join('test', 'fixtures', 'lint', 'seed-target-exec.bpf.c');
const UNKNOWN_HOOK = (release: string) =>
  `${FIXTURE}:5:10: error: 'target_exec' is not an LSM hook in any kernel release (bundled ${release}). ` +
  "Did you mean 'bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds'? [unknown-hook]\n";
const WRONG_MACRO =
  `${FIXTURE}:6:5: error: BPF_KPROBE is for kprobe/uprobe programs: it reads arguments from pt_regs offsets, past an LSM ` +
  "hook's arguments, so the verifier rejects the program at load (invalid bpf_context access). Use BPF_PROG. [wrong-macro]\n";
const lint = (...argv: string[]) => runMain(main, argv);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-in-process-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('bpf-lsm-lint main(), in this process', () => {
  it('prints findings one per line and exits 1; --disable drops a check; --kernel maps a series and says so', async () => {
    assert.deepEqual(await lint(FIXTURE), { code: 1, out: UNKNOWN_HOOK('7.3.4') + WRONG_MACRO, err: '' });
    assert.deepEqual(await lint('--disable', 'unknown-hook', FIXTURE), { code: 1, out: WRONG_MACRO, err: '' });
    assert.deepEqual(await lint('--kernel', '6.1', FIXTURE), {
      code: 1,
      out: UNKNOWN_HOOK('6.1.20') + WRONG_MACRO,
      err: 'note: kernel 6.1: using the hook table of 6.1.20 (same 6.1 series)\n',
    });
  });

  it('--format json and sarif', async () => {
    const json = await lint('--format', 'json', FIXTURE);
    assert.equal(json.code, 1);
    assert.deepEqual(
      (JSON.parse(json.out) as Record<string, unknown>[]).map(({ message: _m, ...f }) => f),
      [
        { file: FIXTURE, line: 5, column: 10, endLine: 5, endColumn: 21, severity: 'error', code: 'unknown-hook' },
        { file: FIXTURE, line: 6, column: 5, endLine: 6, endColumn: 15, severity: 'error', code: 'wrong-macro' },
      ],
    );
    const sarif = await lint('--format', 'sarif', FIXTURE);
    const run = (JSON.parse(sarif.out) as { runs: { results: { ruleId: string }[] }[] }).runs[0];
    assert.deepEqual([sarif.code, run.results.map((r) => r.ruleId)], [1, ['unknown-hook', 'wrong-macro']]);
  });

  it('a file with nothing to say exits 0 and prints nothing', async () => {
    const clean = path.join(tmp, 'clean.bpf.c');
    fs.writeFileSync(clean, '#include <stdio.h>\nint main(void) { return 0; }\n');
    assert.deepEqual(await lint(clean), { code: 0, out: '', err: '' });
  });

  it('a bpf-lsm.config.json beside the file applies; flags win over it', async () => {
    const dir = path.join(tmp, 'project');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'p.bpf.c');
    fs.copyFileSync(FIXTURE, file);
    fs.writeFileSync(path.join(dir, 'bpf-lsm.config.json'), '{"disabledChecks": ["wrong-macro"], "kernel": "6.1"}');
    const r = await lint(file);
    assert.deepEqual(
      [
        r.code,
        r.out
          .split('\n')
          .filter(Boolean)
          .map((l) => / \[([a-z-]+)\]$/.exec(l)?.[1]),
      ],
      [1, ['unknown-hook']],
    );
    assert.match(r.out, /\(bundled 6\.1\.20\)/);
    assert.match((await lint('--kernel', '7.3', file)).out, /\(bundled 7\.3\.4\)/);
    fs.writeFileSync(path.join(dir, 'bpf-lsm.config.json'), '{"kernal": "6.1"}');
    assert.deepEqual(await lint(file), {
      code: 2,
      out: '',
      err: `bpf-lsm-lint: ${path.join(dir, 'bpf-lsm.config.json')}: unknown field(s) kernal; known: kernel, disabledChecks, severity, hookDefsPath, btfPath, includePaths, test\n`,
    });
  });

  it('usage errors exit 2 with one line (and the usage when the command line itself is wrong)', async () => {
    const usage = (await lint('--help')).out;
    assert.match(usage, /^usage: bpf-lsm-lint \[--kernel VERSION\]/);
    assert.deepEqual(await lint(), { code: 2, out: '', err: `bpf-lsm-lint: no files given\n${usage}` });
    assert.deepEqual(await lint('--bogus', FIXTURE), {
      code: 2,
      out: '',
      err:
        "bpf-lsm-lint: Unknown option '--bogus'. To specify a positional argument starting with a '-', place it at the end of the " +
        `command after '--', as in '-- "--bogus"\n${usage}`,
    });
    const errors = async (...argv: string[]) => {
      const r = await lint(...argv);
      assert.deepEqual([r.code, r.out], [2, ''], argv.join(' '));
      return r.err;
    };
    assert.equal(await errors('--format', 'xml', FIXTURE), "bpf-lsm-lint: --format must be text, json or sarif, not 'xml'\n");
    assert.equal(await errors('--disable', 'nope', FIXTURE), `bpf-lsm-lint: unknown check code(s) nope; known: ${KNOWN_CHECK_CODES}\n`);
    assert.equal(
      await errors('--kernel', 'nope', FIXTURE),
      "bpf-lsm-lint: 'nope' is not a kernel version; use a release such as 6.12 or 6.1.20 (bundled: 5.7.14, 5.10.13, 5.15.85, " +
        '6.1.20, 6.6.46-rpi, 6.8, 6.12, 6.19, 7.0, 7.1.5, 7.2.13, 7.3.4)\n',
    );
    assert.equal(await errors('no-such.bpf.c'), 'bpf-lsm-lint: no-such.bpf.c: no such file\n');
    assert.equal(
      await errors('--hook-defs', '/dev/zero', FIXTURE),
      'bpf-lsm-lint: --hook-defs /dev/zero: is a character device, not an lsm_hook_defs.h\n',
    );
    assert.equal(
      await errors('--btf', FIXTURE, '--hook-defs', FIXTURE, FIXTURE),
      'bpf-lsm-lint: --hook-defs and --btf each give the hook table: use one of them\n',
    );
  });

  it("a hook table that cannot be used stops the run before any output (exit 2), naming the flag or the config's field", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tables-'));
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return file;
    };
    const source = write('a.bpf.c', fs.readFileSync(FIXTURE, 'utf8'));
    const badBtf = write('bad.btf', 'xx');
    assert.deepEqual(await lint('--btf', badBtf, source), {
      code: 2,
      out: '',
      err: `bpf-lsm-lint: --btf ${badBtf}: not BTF: 2 bytes is shorter than the BTF header\n`,
    });
    // A header with one entry that parses is used, its broken entries warned about; with none it stops the run.
    const half = write('half.h', 'LSM_HOOK(int, 0, file_open, struct file *file)\nLSM_HOOK(int, 0, broken\n');
    const r = await lint('--hook-defs', half, source);
    assert.equal(r.code, 1);
    assert.equal(r.err, `${half}:2: warning: LSM_HOOK entry is not closed with )\nnote: hooks from ${half} (1), rules of 7.3.4\n`);
    const none = write('none.h', 'LSM_HOOK(int, 0, broken\n');
    assert.deepEqual(await lint('--hook-defs', none, source), {
      code: 2,
      out: '',
      err: `${none}:1: warning: LSM_HOOK entry is not closed with )\nbpf-lsm-lint: ${none} has no LSM_HOOK entries that parse\n`,
    });
    // From a bpf-lsm.config.json: the file and the field say where to look.
    const kernelConfig = write('k/bpf-lsm.config.json', '{"kernel":"nope"}');
    assert.deepEqual(await lint(write('k/a.bpf.c', '')), {
      code: 2,
      out: '',
      err:
        `bpf-lsm-lint: ${kernelConfig}: kernel: 'nope' is not a kernel version; use a release such as 6.12 or 6.1.20 (bundled: ` +
        '5.7.14, 5.10.13, 5.15.85, 6.1.20, 6.6.46-rpi, 6.8, 6.12, 6.19, 7.0, 7.1.5, 7.2.13, 7.3.4)\n',
    });
    const btfConfig = write('b/bpf-lsm.config.json', '{"btfPath":"../bad.btf"}');
    assert.deepEqual(await lint(write('b/a.bpf.c', '')), {
      code: 2,
      out: '',
      err: `bpf-lsm-lint: ${btfConfig}: btfPath ${badBtf}: not BTF: 2 bytes is shorter than the BTF header\n`,
    });
  });

  it('--list-kernels: each bundled release with its hook count', async () => {
    assert.deepEqual(await lint('--list-kernels'), {
      code: 0,
      out:
        '5.7.14\t229 hooks\n5.10.13\t234 hooks\n5.15.85\t238 hooks\n6.1.20\t243 hooks\n6.6.46-rpi\t250 hooks\n6.8\t252 hooks\n' +
        '6.12\t268 hooks\n6.19\t273 hooks\n7.0\t273 hooks\n7.1.5\t277 hooks\n7.2.13\t277 hooks\n7.3.4\t277 hooks\n',
      err: '',
    });
  });
});
