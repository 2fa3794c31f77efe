// Code nested thousands deep (braces, unbraced ifs) once overflowed the JavaScript stack in the tree
// walks ("Maximum call stack size exceeded" from the linter, nothing in the editor), and one check's
// throw cost every finding of the file. Now the walks keep their own stacks, and a check that throws is
// reported as a failure beside the other checks' findings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { FILE_CHECKS, PROGRAM_CHECKS } from '../../server/src/analysis/checks/registry';
import { main } from '../../server/src/cli/lint';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { CLI, REPO_ROOT } from '../helpers/paths';

/** An LSM program holding the nesting on its line 5, then a program with two known mistakes (line 11). */
function program(nesting: string): string {
  return [
    'char LICENSE[] SEC("license") = "GPL";',
    'SEC("lsm/file_open")',
    'int BPF_PROG(nested, struct file *file, int ret)',
    '{',
    `\t${nesting}`,
    '\treturn 0;',
    '}',
    'SEC("lsm/file_open")',
    'int BPF_PROG(deny, struct file *file, int ret)',
    '{',
    '\treturn EPERM;',
    '}',
    '',
  ].join('\n');
}

const braces = (n: number) => program(`${'{'.repeat(n)}${'}'.repeat(n)}`);
const ifs = (n: number) => program(`${'if (file) '.repeat(n)}return -1;`);

/** Line and code of each finding with kernel 6.12: the nested program's return, then deny's two. */
const AFTER_BRACES = ['6 missing-ret-passthrough', '11 missing-ret-passthrough', '11 return-out-of-range'];
const AFTER_IFS = ['5 missing-ret-passthrough', '11 missing-ret-passthrough', '11 return-out-of-range'];

const CASES: [string, string, string[]][] = [
  ['5,000 braces', braces(5_000), AFTER_BRACES],
  ['20,000 braces', braces(20_000), AFTER_BRACES],
  ['5,000 ifs', ifs(5_000), AFTER_IFS],
  ['20,000 ifs', ifs(20_000), AFTER_IFS],
];

describe('deeply nested code', () => {
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());

  for (const [name, text, expected] of CASES) {
    it(`${name}: every check runs to the end and the findings after it come out`, () => {
      const result = analyzer.analyze(text, target, catalog);
      assert.deepEqual(result.failures, []);
      assert.deepEqual(
        result.findings.map((f) => `${f.range.start.line + 1} ${f.code}`),
        expected,
      );
    });
  }

  it('the linter lints all four files, with no error, and exits 1 for the errors they hold', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-nesting-'));
    try {
      const files = CASES.map(([name, text], i) => {
        const file = path.join(dir, `nested-${i}.bpf.c`);
        fs.writeFileSync(file, text);
        return { file, name };
      });
      const r = spawnSync(process.execPath, [CLI, '--kernel', '6.12', '--format', 'json', ...files.map((f) => f.file)], {
        encoding: 'utf8',
        cwd: REPO_ROOT,
      });
      assert.equal(r.stderr, '');
      assert.equal(r.status, 1);
      const findings = JSON.parse(r.stdout) as { file: string; line: number; code: string }[];
      CASES.forEach(([name, , expected], i) => {
        assert.deepEqual(
          findings.filter((f) => f.file === files[i].file).map((f) => `${f.line} ${f.code}`),
          expected,
          name,
        );
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a check that throws', () => {
  const catalog = HookCatalog.bundled();
  const { target } = catalog.target({ kernel: '6.12' });
  const failing = {
    name: 'always-throws',
    codes: ['wrong-macro'] as const,
    run: () => {
      // The message as one line, spaces folded: what the linter and the editor print.
      throw new RangeError(' Maximum call stack size\n   exceeded\n');
    },
  };
  const failingFileCheck = {
    name: 'file-throws',
    codes: ['license'] as const,
    run: () => {
      throw new Error('');
    },
  };
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
    PROGRAM_CHECKS.unshift(failing);
    FILE_CHECKS.unshift(failingFileCheck);
  });
  after(() => {
    PROGRAM_CHECKS.splice(PROGRAM_CHECKS.indexOf(failing), 1);
    FILE_CHECKS.splice(FILE_CHECKS.indexOf(failingFileCheck), 1);
    analyzer.dispose();
  });

  it('costs only its own findings; the failure is in the result, once per program', () => {
    const result = analyzer.analyze(braces(10), target, catalog);
    assert.deepEqual(
      result.findings.map((f) => `${f.range.start.line + 1} ${f.code}`),
      AFTER_BRACES,
    );
    assert.deepEqual(result.failures, [
      { check: 'always-throws', program: 'nested', message: 'Maximum call stack size exceeded' },
      { check: 'always-throws', program: 'deny', message: 'Maximum call stack size exceeded' },
      // A file check's failure names no program; an empty message is said to be unknown.
      { check: 'file-throws', message: 'unknown error' },
    ]);
  });

  it('is not run when its codes are disabled', () => {
    const result = analyzer.analyze(braces(10), target, catalog, { disabledChecks: ['wrong-macro', 'license'] });
    assert.deepEqual(result.failures, []);
  });

  it('the linter prints the other findings, one line per failure, and exits 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-failure-'));
    try {
      const file = path.join(dir, 'f.bpf.c');
      fs.writeFileSync(file, braces(10));
      let stdout = '';
      let stderr = '';
      const sink = (append: (s: string) => void) => ({ write: (s: string) => append(s) });
      const status = await main(
        ['--kernel', '6.12', file],
        sink((s) => (stdout += s)),
        sink((s) => (stderr += s)),
      );
      assert.equal(status, 2);
      assert.deepEqual(
        stdout
          .trim()
          .split('\n')
          .map((l) => l.replace(/^.*?:(\d+):\d+: \w+: .*\[(.*)\]$/, '$1 $2')),
        AFTER_BRACES,
      );
      assert.equal(
        stderr,
        `bpf-lsm-lint: ${file}: the always-throws check failed on program nested (Maximum call stack size exceeded); its findings there are missing\n` +
          `bpf-lsm-lint: ${file}: the always-throws check failed on program deny (Maximum call stack size exceeded); its findings there are missing\n` +
          `bpf-lsm-lint: ${file}: the file-throws check failed (unknown error); its findings there are missing\n`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
