// Names that are also members of every JavaScript object (`constructor`, `toString`, `__proto__`...),
// used as hook names and as C identifiers: lookups in plain objects used as maps once returned functions
// ("function is not iterable", "Returns function toString() { [native code] }", "Returns NaN").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { SET_NAMES } from '../../server/src/hooks/tableFormat';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { CLI, REPO_ROOT } from '../helpers/paths';

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

/** Each name as a hook, inside a hook name, and as a variable returned plain and negated; then a real mistake. */
function program(): string {
  let text = '#include "vmlinux.h"\nchar LICENSE[] SEC("license") = "GPL";\n';
  for (const n of NAMES) {
    const id = n.replace(/_/g, '');
    text += `\nSEC("lsm/${n}")\nint BPF_PROG(hook_${id}, struct file *file, int ret)\n{\n\treturn 0;\n}\n`;
    text += `\nSEC("lsm/file_${n}")\nint BPF_PROG(file_${id}, struct file *file, int ret)\n{\n\treturn 0;\n}\n`;
  }
  for (const n of NAMES) {
    const id = n.replace(/_/g, '');
    text +=
      `\nSEC("lsm/file_open")\nint BPF_PROG(ident_${id}, struct file *file, int ret)\n{\n\tint ${n} = 0;\n\n` +
      `\tif (ret != 0)\n\t\treturn ret;\n\tif (file == 0)\n\t\treturn -${n};\n\treturn ${n};\n}\n`;
  }
  return `${text}\nSEC("lsm/file_open")\nint BPF_PROG(deny, struct file *file, int ret)\n{\n\tif (ret != 0)\n\t\treturn ret;\n\treturn EPERM;\n}\n`;
}

/** 1-based line and code of every finding the program above must give with kernel 6.12. */
const EXPECTED = [
  '4 unknown-hook',
  '10 unknown-hook',
  '16 unknown-hook',
  '22 unknown-hook',
  '28 unknown-hook',
  '34 unknown-hook',
  '40 unknown-hook',
  '46 unknown-hook',
  '52 unknown-hook',
  '58 unknown-hook',
  '129 return-out-of-range',
];

describe('built-in property names as hooks and identifiers', () => {
  const catalog = HookCatalog.bundled();
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());

  it('the analysis reports each unknown hook, takes the variables as variables, and keeps the real finding', () => {
    const result = analyzer.analyze(program(), catalog.target({ kernel: '6.12' }).target, catalog);
    assert.deepEqual(result.failures, []);
    assert.deepEqual(
      result.findings.map((f) => `${f.range.start.line + 1} ${f.code}`),
      EXPECTED,
    );
    assert.equal(
      result.findings[1].message,
      "'file_constructor' is not an LSM hook in any kernel release (bundled 6.12). Did you mean 'file_ioctl', 'file_mprotect', 'file_post_open'?",
    );
    assert.equal(result.findings[8].message, "'__proto__' is not an LSM hook in any kernel release (bundled 6.12).");
    assert.ok(
      result.findings.every((f) => !/function|NaN|\[object/.test(f.message)),
      'no JavaScript value leaks into a message',
    );
  });

  it('hover facts of such hooks are plain misses', () => {
    const { target } = catalog.target({ kernel: '6.12' });
    for (const n of NAMES) {
      assert.equal(target.hooks.get(n), undefined);
      assert.deepEqual(catalog.releasesWith(n), []);
    }
  });

  it('the stored-table set names answer nothing for them', () => {
    for (const n of NAMES) assert.equal(SET_NAMES[n], undefined, n);
  });

  it('the linter lints the file, prints every finding and exits 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-names-'));
    try {
      const file = path.join(dir, 'names.bpf.c');
      fs.writeFileSync(file, program());
      const r = spawnSync(process.execPath, [CLI, '--kernel', '6.12', '--format', 'json', file], { encoding: 'utf8', cwd: REPO_ROOT });
      assert.equal(r.stderr, '');
      assert.equal(r.status, 1);
      const findings = JSON.parse(r.stdout) as { line: number; code: string }[];
      assert.deepEqual(
        findings.map((f) => `${f.line} ${f.code}`),
        EXPECTED,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
