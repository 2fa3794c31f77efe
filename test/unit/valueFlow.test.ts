// Values through code (issue 13): out-of-range verdicts that reach a return through variables,
// branches and helpers, with the place they came from; passthrough and always-denies on the same flow;
// programs declared by macros; and the bounds on hostile bodies.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { hasLockout } from '../../server/src/analysis/checks/alwaysDenies';
import type { Finding } from '../../server/src/analysis/findings';
import { main } from '../../server/src/cli/lint';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { applyEdits } from '../helpers/edits';
import { fixture } from '../helpers/paths';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { timeLimit } from '../helpers/timeLimit';

const catalog = HookCatalog.bundled();
const { target } = catalog.target({ kernel: '6.12' });
let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create();
});
after(() => analyzer.dispose());

const lint = (text: string) => analyzer.analyze(text, target, catalog);

/** `line: text` of a range (1-based line), for literal comparisons. */
function where(text: string, r: Finding['range']): string {
  const line = text.split('\n')[r.start.line];
  return `${r.start.line + 1}: ${line.slice(r.start.character, r.end.character)}`;
}

const OUT_OF_RANGE =
  "LSM programs on 'file_open' must return 0 (allow) or a negative errno (deny); kernel 6.12.57 rejects the program at load. " +
  'EPERM is 1: did you mean -EPERM?';

describe('return-out-of-range through code', () => {
  const text = fixture('lint', 'values-through-code.bpf.c');
  const found = () => lint(text).findings.filter((f) => f.code === 'return-out-of-range');

  it('reports at the return, with the assignment, branch or helper return the value came from', () => {
    const release = target.release;
    assert.deepEqual(
      found().map((f) => [
        where(text, f.range),
        f.message.replace(release, '6.12.57'),
        f.related?.map((r) => [where(text, r.range), r.message]),
      ]),
      [
        ['39: err', `Returns 1 (from line 33): ${OUT_OF_RANGE}`, [['33: EPERM', "'err' is set to 1 here"]]],
        ['47: file->f_flags ? EPERM : 0', `Returns 1 (from line 47): ${OUT_OF_RANGE}`, [['47: EPERM', '1 is chosen on this branch']]],
        ['53: ret ?: EPERM', `Returns 1 (from line 53): ${OUT_OF_RANGE}`, [['53: EPERM', '1 is chosen on this branch']]],
        ['70: err', `Returns 1 (from line 65): ${OUT_OF_RANGE}`, [['65: EPERM', "'err' is set to 1 here"]]],
        ['78: check(file)', `Returns 1 (from line 13): ${OUT_OF_RANGE}`, [['13: EPERM', "'check' returns 1 here"]]],
        ['182: err', `Returns 1 (from line 177): ${OUT_OF_RANGE}`, [['177: EPERM', "'err' is set to 1 here"]]],
        ['218: ret', `Returns 1 (from line 217): ${OUT_OF_RANGE}`, [['217: EPERM', "'ret' is set to 1 here"]]],
      ],
    );
  });

  it('fixes the value where it is set, never by rewriting the return', () => {
    const f = found()[0];
    assert.deepEqual(
      f.fixes?.map((x) => [x.title, ...x.edits.map((e) => `${where(text, e.range)} -> ${e.newText}`)]),
      [['Return -EPERM (deny) where the value is set (line 33)', '33: EPERM -> -EPERM']],
    );
    const fixed = applyEdits(text, f.fixes![0].edits);
    assert.match(fixed.split('\n')[32], /^ {4}int err = -EPERM;$/);
    assert.equal(lint(fixed).findings.filter((x) => x.code === 'return-out-of-range').length, 6);
  });

  it('the linter prints the related places as note lines, and as `related` in JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'value-flow-'));
    try {
      const file = path.join(dir, 'v.bpf.c');
      fs.writeFileSync(file, text);
      let stdout = '';
      const sink = (append: (s: string) => void) => ({ write: (s: string) => append(s) });
      await main(
        ['--kernel', '6.12', file],
        sink((s) => (stdout += s)),
        sink(() => undefined),
      );
      const lines = stdout.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`${file}:39:12: error: Returns 1 (from line 33)`));
      assert.ok(i >= 0, stdout);
      assert.equal(lines[i + 1], `${file}:33:15: note: 'err' is set to 1 here`);
      let json = '';
      await main(
        ['--kernel', '6.12', '--format', 'json', file],
        sink((s) => (json += s)),
        sink(() => undefined),
      );
      const first = (JSON.parse(json) as { line: number; related?: unknown }[]).find((f) => f.line === 39);
      assert.deepEqual(first?.related, [{ line: 33, column: 15, endLine: 33, endColumn: 20, message: "'err' is set to 1 here" }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('always-denies', () => {
  const text = fixture('lint', 'always-denies.bpf.c');

  it('says that denying every exec locks the machine out, ssh included, and points at each denial', () => {
    const f = lint(text).findings.find((x) => x.code === 'always-denies')!;
    assert.equal(where(text, f.range), '12: BPF_PROG(unbraced_exec');
    assert.equal(f.severity, 'warning');
    assert.equal(
      f.message,
      "unbraced_exec denies every call of 'bprm_check_security': no path returns 0 or passes a zero 'ret' on. Denying every " +
        'exec locks you out of the machine, including ssh (no program can start): do not attach it to a machine you cannot ' +
        "reset from outside. If it should allow some calls, check its conditions (an unbraced 'if' governs only the statement after it).",
    );
    assert.deepEqual(
      f.related?.map((r) => [where(text, r.range), r.message]),
      [
        ['15: return ret;', "passes the earlier program's denial on here"],
        ['18: return -EPERM;', 'denies here (-1)'],
      ],
    );
  });

  it('a hook a machine can do without gets no lock-out sentence', () => {
    const f = lint(text).findings.find((x) => x.code === 'always-denies' && x.message.startsWith('denies_through_variable'))!;
    assert.doesNotMatch(f.message, /locks you out/);
  });

  it('the result names the programs that lock a machine out, whatever checks are disabled', () => {
    const result = analyzer.analyze(text, target, catalog, { disabledChecks: ['always-denies'] });
    assert.equal(
      result.findings.some((f) => f.code === 'always-denies'),
      false,
    );
    assert.equal(hasLockout(result), true);
    assert.deepEqual(result.lockouts, [
      { program: 'unbraced_exec', hook: 'bprm_check_security', denies: 'exec' },
      { program: 'only_denies', hook: 'file_open', denies: 'file access' },
    ]);
    const accepted = lint(fixture('lint', 'passthrough-accepted.bpf.c'));
    assert.deepEqual(accepted.lockouts, []);
    assert.equal(hasLockout(accepted), false);
  });
});

describe('programs declared through macros', () => {
  const text = fixture('lint', 'macro-programs.bpf.c');

  it('are found with their hook, name and arguments; a macro that cannot be resolved is left alone', () => {
    const { programs } = lint(text).model;
    assert.deepEqual(
      programs.map((p) => [p.section, p.name, p.params.map((x) => x.text).join(', '), p.viaMacro]),
      [
        ['lsm/file_open', 'positive', 'struct file *file, int ret', 'LSM_PROG'],
        ['lsm/file_opn', 'misspelt', 'struct file *file, int ret', 'LSM_VA'],
        ['lsm/file_open', 'no_ret', 'struct file *file', 'LSM_PROG'],
        ['lsm/bprm_check_security', 'deny_exec', 'struct linux_binprm *bprm, int ret', 'LSM_PROG'],
        ['lsm/file_open', 'fixed_arguments', 'struct file *file, int ret', 'LSM_OPEN'],
        ['lsm/file_open', 'correct', 'struct file *file, int ret', 'LSM_PROG'],
      ],
    );
  });

  it("point at the macro's use; fixes that would edit the macro's text are not offered", () => {
    const findings = lint(text).findings;
    const hook = findings.find((f) => f.code === 'unknown-hook')!;
    assert.equal(where(text, hook.range), '24: file_opn');
    assert.equal(hook.fixes?.[0].title, "Change hook to 'file_open'");
    const noRet = findings.find((f) => f.code === 'missing-ret-passthrough')!;
    assert.equal(where(text, noRet.range), '31: LSM_PROG(file_open, no_ret, struct file *file)');
    assert.equal(noRet.fixes, undefined);
    const range = findings.find((f) => f.code === 'return-out-of-range')!;
    assert.deepEqual(
      range.fixes?.map((f) => f.edits.map((e) => `${where(text, e.range)} -> ${e.newText}`)),
      [['21: EPERM -> -EPERM']],
    );
  });
});

describe('hostile bodies: bounded, no failure', () => {
  const prog = (body: string, prefix = '') =>
    `char L[] SEC("license") = "GPL";\n${prefix}SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n${body}\n}\n`;
  const timed = (text: string) => {
    const t0 = performance.now();
    const result = lint(text);
    return { result, ms: performance.now() - t0 };
  };

  it('a 5,000-line body: the value is followed to the end', () => {
    const lines = ['\tint err = 0;', '\tif (ret) return ret;'];
    for (let i = 0; i < 5000; i++) lines.push(i === 2500 ? '\terr = EPERM;' : `\tif (file->f_flags == ${i}) bpf_printk("%d", ${i});`);
    const text = prog(`${lines.join('\n')}\n\treturn err;`);
    const { result, ms } = timed(text);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.findings.map((f) => `${f.range.start.line + 1} ${f.code}`),
      ['5007 return-out-of-range'],
    );
    assert.ok(ms < timeLimit(5000), `${ms} ms`);
  });

  it('10,000 nested ifs: the flow gives up quietly, the structural walk still finds the return', () => {
    const text = prog(`\t${'if (file) '.repeat(10_000)}return -1;\n\treturn 0;`);
    const { result, ms } = timed(text);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.findings.map((f) => `${f.range.start.line + 1} ${f.code}`),
      ['5 missing-ret-passthrough'],
    );
    assert.ok(ms < timeLimit(10_000), `${ms} ms`);
  });

  it('1,000 variables, each assigned on its own branch', () => {
    const decls = Array.from({ length: 1000 }, (_, i) => `\tint v${i} = 0;`);
    const branches = Array.from({ length: 1000 }, (_, i) => `\tif (file->f_flags & ${i}) v${i} = EPERM;`);
    const text = prog([...decls, '\tif (ret) return ret;', ...branches, '\treturn v999;'].join('\n'));
    const { result, ms } = timed(text);
    assert.deepEqual(result.failures, []);
    // Past the state bound the branches are joined: v999 is not known any more, so nothing is claimed.
    assert.deepEqual(result.findings, []);
    assert.ok(ms < timeLimit(5000), `${ms} ms`);
  });

  it('program macros with thousands of parameters or arguments are not expanded', () => {
    const params = Array.from({ length: 5000 }, (_, i) => `a${i}`).join(', ');
    const args = Array.from({ length: 100_000 }, (_, i) => `x${i}`).join(', ');
    const text =
      'char L[] SEC("license") = "GPL";\n' +
      `#define BIG(hook, name, ${params}) SEC("lsm/" #hook) int BPF_PROG(name, ${params})\n` +
      '#define LSM_PROG(hook, name, args...) SEC("lsm/" #hook) int BPF_PROG(name, args)\n' +
      `BIG(file_open, p, ${params})\n{\n\treturn 0;\n}\n` +
      `LSM_PROG(file_open, q, ${args})\n{\n\treturn 0;\n}\n`;
    const { result, ms } = timed(text);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.model.programs, []);
    assert.ok(ms < timeLimit(5000), `${ms} ms`);
  });

  it('recursive inline functions (a calls b calls a) end, and claim nothing about the cycle', () => {
    const helpers =
      'static __always_inline int b(struct file *f, int n);\n' +
      'static __always_inline int a(struct file *f, int n) { if (!f) return 0; return b(f, n); }\n' +
      'static __always_inline int b(struct file *f, int n) { if (n) return a(f, n - 1); return -1; }\n';
    const text = prog('\tif (ret) return ret;\n\treturn a(file, 3);', helpers);
    const { result, ms } = timed(text);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(result.findings, []);
    assert.ok(ms < timeLimit(2000), `${ms} ms`);
  });
});
