import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { createCParser } from '../../server/src/analysis/cParser';
import type { Finding } from '../../server/src/analysis/findings';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { applyEdits } from '../helpers/edits';
import { expectedFindings, fixtureKernel, formatExpectations } from '../helpers/expectations';
import { assertGoldenFindings } from '../helpers/goldenFindings';
import { errorNodeCount } from '../helpers/syntaxErrors';
import { FIXTURES, fixture } from '../helpers/paths';
import { timeLimit } from '../helpers/timeLimit';

const catalog = HookCatalog.bundled();
let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create();
});
after(() => analyzer.dispose());

function lint(text: string, kernel?: string): Finding[] {
  return analyzer.analyze(text, catalog.target({ kernel }).target, catalog).findings;
}

function at(text: string, f: Finding): string {
  const line = text.split('\n')[f.range.start.line];
  return f.range.start.line === f.range.end.line ? line.slice(f.range.start.character, f.range.end.character) : '';
}

describe('lint fixtures: every finding annotated and every annotation found, each in full as reviewed', () => {
  const dir = path.join(FIXTURES, 'lint');
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()) {
    it(file, () => {
      const text = fixture('lint', file);
      const findings = lint(text, fixtureKernel(text));
      const found = findings.map((f) => ({ line: f.range.start.line + 1, code: f.code }));
      assert.deepEqual(formatExpectations(found), formatExpectations(expectedFindings(text)));
      assertGoldenFindings(file, findings);
    });
  }
});

describe('findings: ranges, messages and fixes', () => {
  it('unknown-hook covers the hook name inside the string and suggests the exec hooks for target_exec', () => {
    const text = fixture('lint', 'seed-target-exec.bpf.c');
    const f = lint(text).find((x) => x.code === 'unknown-hook')!;
    assert.equal(at(text, f), 'target_exec');
    assert.equal(f.severity, 'error');
    assert.match(f.message, /Did you mean 'bprm_creds_for_exec', 'bprm_check_security'/);
    assert.deepEqual(f.fixes!.map((x) => x.edits[0].newText).slice(0, 2), ['bprm_creds_for_exec', 'bprm_check_security']);
  });

  it('unknown-hook suggests the spelling fix first for a typo', () => {
    const text = fixture('lint', 'kernel-history.bpf.c');
    const f = lint(text, '5.15').find((x) => x.code === 'unknown-hook')!;
    assert.equal(f.fixes![0].edits[0].newText, 'file_open');
  });

  it('hook-not-in-kernel names the releases that have the hook', () => {
    const text = fixture('lint', 'kernel-history.bpf.c');
    const f = lint(text, '5.15').find((x) => x.code === 'hook-not-in-kernel')!;
    assert.equal(at(text, f), 'file_truncate');
    const newest = HookCatalog.bundled().newest.release;
    assert.equal(
      f.message.match(/does not exist in kernel 5\.15\.85: the bundled tables have it from 6\.6\.46-rpi on \(6\.6\.46-rpi to (\S+)\)/)?.[1],
      newest,
    );
    assert.deepEqual(
      lint(text, '6.12').filter((x) => x.code === 'hook-not-in-kernel'),
      [],
    );
  });

  it('a hook removed from newer kernels says where it still is', () => {
    const text =
      'SEC("lsm/bprm_set_creds")\nint BPF_PROG(p, struct linux_binprm *bprm, int ret) { return ret; }\nchar L[] SEC("license") = "GPL";\n';
    const f = lint(text, '6.12')[0];
    assert.equal(f.code, 'hook-not-in-kernel');
    assert.match(f.message, /of the bundled tables only 5\.7\.14 have it/);
    assert.deepEqual(lint(text, '5.7'), []);
  });

  it('signature-mismatch points at the argument and its fix rewrites the list to the prototype', () => {
    const text = fixture('lint', 'signature.bpf.c');
    const findings = lint(text, '7.1.5').filter((x) => x.code === 'signature-mismatch');
    assert.equal(at(text, findings[0]), 'struct cred *cred');
    assert.match(findings[0].message, /previous verdict \(int ret\) for file_open/);
    const fixed = applyEdits(text, findings[0].fixes![0].edits);
    assert.match(fixed, /int BPF_PROG\(cred_after_file, struct file \*file, int ret\)/);
    const setsockopt = findings.find((x) => /socket_setsockopt/.test(x.message))!;
    assert.equal(at(text, setsockopt), 'int ret');
    assert.match(setsockopt.message, /passes 'int level' there; the previous verdict is argument 4/);
    assert.match(
      applyEdits(text, setsockopt.fixes![0].edits),
      /BPF_PROG\(ret_too_early, struct socket \*sock, int level, int optname, int ret\)/,
    );
  });

  it('signature-mismatch follows the chosen release when a hook gains or changes an argument', () => {
    const program = (args: string) =>
      `char LICENSE[] SEC("license") = "GPL";\nSEC("lsm/inode_setxattr")\nint BPF_PROG(p, ${args}, int ret)\n{ if (ret) return ret; return 0; }\n`;
    // 5.10: no namespace argument. 6.12 added `struct mnt_idmap *idmap` in front, so `ret` reads `flags`.
    const v510 = program('struct dentry *dentry, const char *name, const void *value, size_t size, int flags');
    assert.deepEqual(
      lint(v510, '5.10').map((f) => f.code),
      [],
    );
    const on612 = lint(v510, '6.12');
    assert.ok(
      on612.some((f) =>
        /'ret' is argument 6, but in 6\.12 inode_setxattr passes 'int flags' there; the previous verdict is argument 7/.test(f.message),
      ),
    );
    // 5.15 passed `struct user_namespace *`; 6.12 passes `struct mnt_idmap *` in that place.
    const v515 = program('struct user_namespace *ns, struct dentry *dentry, const char *name, const void *value, size_t size, int flags');
    assert.deepEqual(
      lint(v515, '5.15').map((f) => f.code),
      [],
    );
    assert.ok(
      lint(v515, '6.12').some((f) => f.code === 'signature-mismatch' && /struct user_namespace, not struct mnt_idmap/.test(f.message)),
    );
  });

  it("missing-ret-passthrough fix adds int ret and the guard in the file's indentation", () => {
    const text = fixture('lint', 'passthrough-missing.bpf.c');
    const findings = lint(text).filter((x) => x.code === 'missing-ret-passthrough');
    const fixed = applyEdits(text, findings[0].fixes![0].edits);
    assert.match(
      fixed,
      /int BPF_PROG\(no_ret, struct file \*file, int ret\)[^\n]*\n\{\n {4}if \(ret != 0\)\n {8}return ret;\n\n {4}return 0;\n\}/,
    );
    const guardFix = applyEdits(text, findings[1].fixes![0].edits);
    assert.match(guardFix, /\{\n {4}if \(ret != 0\)\n {8}return ret;\n\n {4}bpf_printk\("open"\);/);
  });

  it('missing-ret-passthrough keeps tabs when the file uses tabs', () => {
    const text = 'char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\nint BPF_PROG(p, struct file *f, int ret)\n{\n\treturn 0;\n}\n';
    const f = lint(text)[0];
    assert.equal(
      applyEdits(text, f.fixes![0].edits).split('\n').slice(3, 8).join('\n'),
      '{\n\tif (ret != 0)\n\t\treturn ret;\n\n\treturn 0;',
    );
  });

  it('return-out-of-range is an error from 6.12 and a warning before, with -EPERM as the fix', () => {
    const text = fixture('lint', 'return-range-6.12.bpf.c');
    const errors = lint(text, '6.12').filter((x) => x.code === 'return-out-of-range');
    assert.ok(errors.every((f) => f.severity === 'error'));
    const epermFix = errors.find((f) => at(text, f) === 'EPERM')!;
    assert.match(epermFix.message, /EPERM is 1: did you mean -EPERM\?/);
    assert.equal(epermFix.fixes![0].edits[0].newText, '-EPERM');
    const on61 = lint(text, '6.1').filter((x) => x.code === 'return-out-of-range' && !/lsm_cgroup/.test(x.message));
    assert.ok(on61.length > 0 && on61.every((f) => f.severity === 'warning'));
    assert.match(on61[0].message, /loads it, but .* kernel WARNING and fails with EINVAL/);
  });

  it('misleading-indentation fix braces the two statements', () => {
    const text = fixture('lint', 'seed-connect-unbraced.bpf.c');
    const f = lint(text).find((x) => x.code === 'misleading-indentation')!;
    // Non-IPv4 connects return 0 before it: not every call is denied, every one that reaches it is.
    assert.match(f.message, /It returns -EPERM whenever it is reached\. Add braces\.$/);
    const fixed = applyEdits(text, f.fixes![0].edits);
    assert.match(fixed, /if \(dest == blockme\)\n {8}\{\n {8}bpf_printk|if \(dest == blockme\)\n {8}\{/);
    assert.deepEqual(
      lint(fixed).map((x) => x.code),
      [],
    );
  });

  it('license fix appends a GPL licence; a bad licence is replaced', () => {
    const text = fixture('lint', 'seed-deny-open-no-license.bpf.c');
    const f = lint(text).find((x) => x.code === 'license')!;
    assert.equal(at(text, f), 'SEC("lsm/file_open")');
    assert.deepEqual(lint(applyEdits(text, f.fixes![0].edits)), []);
    const bad = fixture('lint', 'license-bad.bpf.c');
    const g = lint(bad)[0];
    assert.equal(at(bad, g), '"Proprietary"');
    assert.deepEqual(lint(applyEdits(bad, g.fixes![0].edits)), []);
  });

  it('disabled-hook applies the stable backports of the disabled list to older releases', () => {
    const text =
      'char L[] SEC("license") = "GPL";\nSEC("lsm/xfrm_decode_session")\nint BPF_PROG(p, struct sk_buff *skb, u32 *secid, int ckall, int ret) { return ret; }\n';
    for (const kernel of ['6.1', '6.12', '7.1.5']) {
      const f = lint(text, kernel).find((x) => x.code === 'disabled-hook');
      assert.ok(f, `kernel ${kernel}`);
      assert.equal(f.severity, 'error');
    }
    assert.match(lint(text, '6.1').find((x) => x.code === 'disabled-hook')!.message, /stable kernels that received the disabled-hook list/);
    assert.match(lint(text, '7.1.5').find((x) => x.code === 'disabled-hook')!.message, /in kernel 7\.1\.5 \(bpf_lsm_disabled_hooks\)/);
    // file_alloc_security is refused only from 6.19 on: no backport claimed for 6.12.
    const alloc =
      'char L[] SEC("license") = "GPL";\nSEC("lsm/file_alloc_security")\nint BPF_PROG(p, struct file *file, int ret) { return ret; }\n';
    assert.deepEqual(
      lint(alloc, '6.12').map((x) => x.code),
      [],
    );
    assert.deepEqual(
      lint(alloc, '6.19').map((x) => x.code),
      ['disabled-hook'],
    );
  });

  it('wrong-macro fix turns BPF_KPROBE into BPF_PROG', () => {
    const text = fixture('lint', 'seed-target-exec.bpf.c');
    const f = lint(text).find((x) => x.code === 'wrong-macro')!;
    assert.equal(at(text, f), 'BPF_KPROBE');
    assert.match(applyEdits(text, f.fixes![0].edits), /int BPF_PROG\(lsm_target_exec_hook/);
  });

  it('not-sleepable fix makes the section lsm/', () => {
    const text = fixture('lint', 'kernel-sets.bpf.c');
    const f = lint(text, '6.12').find((x) => x.code === 'not-sleepable')!;
    assert.match(applyEdits(text, f.fixes![0].edits), /SEC\("lsm\/file_permission"\)/);
    assert.match(
      lint('SEC("lsm.s/file_open")\nint BPF_PROG(p, struct file *f, int ret) { return ret; }\nchar L[] SEC("license") = "GPL";', '5.10')[0]
        .message,
      /no sleepable LSM programs \(they arrived in 5\.11\)/,
    );
  });

  it('every fix of every fixture leaves a file that still parses and no longer has that finding', async () => {
    const parser = await createCParser();
    const errorNodes = (text: string) => errorNodeCount(parser, text);
    let applied = 0;
    try {
      for (const file of fs.readdirSync(path.join(FIXTURES, 'lint'))) {
        const text = fixture('lint', file);
        const kernel = fixtureKernel(text);
        for (const f of lint(text, kernel)) {
          for (const fix of f.fixes ?? []) {
            const fixed = applyEdits(text, fix.edits);
            const after = lint(fixed, kernel);
            const still = after.filter((g) => g.code === f.code && g.range.start.line === f.range.start.line && g.message === f.message);
            assert.deepEqual(still, [], `${file}: '${fix.title}' did not fix: ${f.message}`);
            assert.ok(errorNodes(fixed) <= errorNodes(text), `${file}: '${fix.title}' broke the syntax`);
            applied++;
          }
        }
      }
    } finally {
      parser.delete();
    }
    assert.ok(applied >= 20, `only ${applied} fixes applied`);
  });

  it('reports nothing for files without LSM programs', () => {
    assert.deepEqual(lint('#include <stdio.h>\nint main(void) { return 1; }\n'), []);
    assert.deepEqual(lint('SEC("kprobe/do_sys_open")\nint BPF_KPROBE(k, int dfd) { return 1; }\n'), []);
  });
});

describe('analysis robustness', () => {
  it('never throws on half-written, unbalanced or random text', () => {
    const base = fixture('lint', 'signature.bpf.c');
    let seed = 7;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * n);
    const pieces = [
      '{',
      '}',
      '(',
      ')',
      'SEC("lsm/',
      '"',
      'BPF_PROG(',
      'return ',
      'if (ret',
      ';',
      '\n',
      '#define X(h) SEC("lsm/" #h)\n',
      '\u00e9',
      '\0',
    ];
    for (let i = 0; i < 200; i++) {
      let text = base;
      for (let k = 0; k < 5; k++) {
        const at = rand(text.length);
        text = rand(2) ? text.slice(0, at) + pieces[rand(pieces.length)] + text.slice(at) : text.slice(0, at) + text.slice(at + rand(40));
      }
      assert.doesNotThrow(() => lint(text), `iteration ${i}`);
    }
    for (let n = 0; n < base.length; n += 97) assert.doesNotThrow(() => lint(base.slice(0, n)));
  });
});

describe('quick fixes on broken code', () => {
  it('never carry an edit whose range runs backwards (a BPF_PROG whose ")" is missing)', () => {
    // Found by the fuzzer: the argument list's end was taken one before a ")" that is not there.
    const text = 'struct";\nSEC("lsm/file_open")\nt BPF_PROG(open_no_ret, ( file *file) {if';
    const findings = lint(text, '6.12');
    const passthrough = findings.find((f) => f.code === 'missing-ret-passthrough');
    assert.ok(passthrough?.fixes?.length, 'the passthrough finding offers its fix');
    for (const f of findings) {
      for (const fix of f.fixes ?? []) {
        for (const e of fix.edits) {
          const { start, end } = e.range;
          assert.ok(
            start.line < end.line || (start.line === end.line && start.character <= end.character),
            `${f.code}: ${JSON.stringify(e.range)}`,
          );
        }
      }
    }
  });
});

describe('findings on broken code found by the fuzzer', () => {
  /** Every position is on a line of the text and within it (a line's length excludes its line end). */
  function assertRealPositions(text: string, findings: Finding[]): void {
    const lines = text.split(/\r\n?|\n/);
    for (const f of findings) {
      for (const p of [f.range.start, f.range.end]) {
        assert.ok(p.line >= 0 && p.line < lines.length, `${f.code}: line ${p.line}`);
        assert.ok(p.character >= 0 && p.character <= lines[p.line].length, `${f.code}: ${JSON.stringify(p)} on "${lines[p.line]}"`);
      }
    }
  }

  it('a hook that a section macro cannot place gets a real position, not character -1', () => {
    const text = '#define LSM_PROG(hook)SEC("lsm/\u0001"#hook)\nLSM_PROG(e)G()';
    const findings = lint(text, '5.10');
    assert.ok(findings.some((f) => f.code === 'unknown-hook'));
    assertRealPositions(text, findings);
  });

  it('a range that ends inside a CRLF line end stops at the end of the line', () => {
    const text = 'SEC("lsm/file_open")t BPF_PROG(_(t )\r\n{';
    const findings = lint(text, '6.12');
    assert.deepEqual(findings.map((f) => f.code).sort(), ['license', 'missing-ret-passthrough']);
    assertRealPositions(text, findings);
  });

  it('broken code gets the same findings with CRLF as with LF (the parser recovers the same way)', () => {
    const show = (fs: Finding[]) => fs.map((f) => `${f.code}@${f.range.start.line}:${f.range.start.character}`);
    for (const text of [
      'SEC("lsm/")t G(i t)k(C(")\nn r',
      fixture('lint', 'passthrough-missing.bpf.c').replace('{\n    bpf_printk', '\n    bpf_printk'),
    ]) {
      const lf = show(lint(text, '5.15'));
      assert.ok(lf.length > 0);
      assert.deepEqual(show(lint(text.replace(/\n/g, '\r\n'), '5.15')), lf);
    }
  });

  it('a return value too large to be exact is not reported as Infinity', () => {
    const text = `char LICENSE[] SEC("license") = "GPL";\nSEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret) { if (ret) return ret; return ${'9'.repeat(400)}; }\n`;
    const findings = lint(text, '6.12');
    assert.deepEqual(
      findings.filter((f) => /Infinity|NaN/.test(f.message)),
      [],
    );
    assert.deepEqual(
      lint(text.replace('9'.repeat(400), '4096'), '6.12').map((f) => f.code),
      ['return-out-of-range'],
    );
  });
});

describe('helper-not-allowed, kfunc-not-allowed, unchecked-nullable-arg: where and what they say', () => {
  it('helper-not-allowed covers the helper name and quotes each release its own verifier', () => {
    const text = fixture('lint', 'helpers-7.3.bpf.c');
    const [copy, dpath, retval] = lint(text, '7.3').filter((x) => x.code === 'helper-not-allowed');
    assert.equal(at(text, copy), 'bpf_copy_from_user');
    assert.equal(
      copy.message,
      'bpf_copy_from_user may sleep, and a non-sleepable lsm/ program may not call it on kernel 7.3.4: the verifier refuses it ' +
        '("sleepable helper bpf_copy_from_user#148 in non-sleepable prog"). Make the program sleepable: SEC("lsm.s/file_open").',
    );
    assert.match(
      dpath.message,
      /'file_permission' is not one on kernel 7\.3\.4: the verifier refuses it \("helper call is not allowed in probe"\)/,
    );
    assert.match(retval.message, /It is for lsm_cgroup\/ programs: use SEC\("lsm_cgroup\/file_open"\)\.$/);
    const old = lint(fixture('lint', 'helpers-6.1.bpf.c'), '6.1').filter((x) => x.code === 'helper-not-allowed');
    assert.match(old[0].message, /\("helper call might sleep in a non-sleepable prog"\)/);
    assert.match(old[2].message, /\("unknown func bpf_get_retval#186"\)/);
  });

  it('kfunc-not-allowed: a sleepable kfunc in lsm/, and a kfunc the kernel lacks with the releases that have it', () => {
    const sleepable = lint(fixture('lint', 'kfuncs-6.12.bpf.c'), '6.12').find((x) => x.code === 'kfunc-not-allowed')!;
    assert.match(sleepable.message, /\("program must be sleepable to call sleepable kfunc bpf_get_file_xattr"\)/);
    const missing = lint(fixture('lint', 'kfuncs-6.1.bpf.c'), '6.1').find((x) => x.code === 'kfunc-not-allowed')!;
    assert.match(missing.message, /^Kernel 6\.1\.20 has no kfunc bpf_get_file_xattr: .*\(kernels 6\.12\.117, 7\.2\.13, 7\.3\.4 have it\)/);
  });

  it('unchecked-nullable-arg covers the load and names the kernels that load it', () => {
    const text = fixture('lint', 'nullable-7.3.bpf.c');
    const f = lint(text, '7.3').find((x) => x.code === 'unchecked-nullable-arg')!;
    assert.equal(at(text, f), 'file->f_mode');
    assert.match(
      f.message,
      /\("invalid mem access 'trusted_ptr_or_null_'"\); kernels 6\.1\.192, 6\.12\.117 load it\. Check it first: `if \(!file\) return ret;`\.$/,
    );
  });

  it('stays quiet where the data makes no claim: a kernel outside the data releases', () => {
    const text = fixture('lint', 'helpers-7.3.bpf.c');
    assert.deepEqual(
      lint(text, '5.15').filter((x) => x.code === 'helper-not-allowed'),
      [],
    );
  });
});

describe('helper and kfunc checks: bounded on hostile input', () => {
  it('thousands of kfunc and helper calls, guards and declarations lint in linear time', () => {
    const calls = Array.from(
      { length: 4000 },
      (_, i) => `    k${i % 50}(file); bpf_d_path(0, 0, 0); if (bpf_ksym_exists(k${i % 50})) {}\n`,
    ).join('');
    const decls = Array.from({ length: 2000 }, (_, i) => `extern int k${i}(struct file *f) __ksym __weak;\n`).join('');
    const text = `${decls}char LICENSE[] SEC("license") = "GPL";\nSEC("lsm/file_permission")\nint BPF_PROG(p, struct file *file, int mask, int ret)\n{\n${calls}    return 0;\n}\n`;
    const started = Date.now();
    const found = lint(text, '7.3').filter((f) => f.code === 'helper-not-allowed');
    assert.equal(found.length, 4000);
    assert.ok(Date.now() - started < timeLimit(10_000), `took ${Date.now() - started} ms`);
  });
});

describe("kfunc-not-allowed on a BTF target: the kernel's own functions decide", () => {
  const text = fixture('lint', 'kfuncs-6.12.bpf.c');
  const table = catalog.releases.find((r) => r.release === '7.3.4')!;
  const btfTarget = (kfuncs: string[]) =>
    catalog.target({ kernel: '7.3', btf: { path: '/tmp/vmlinux', hooks: [...table.hooks.values()], kfuncs } }).target;
  it('a kfunc the BTF lacks is reported, naming the BTF (a guarded __weak one is not)', () => {
    const found = analyzer.analyze(text, btfTarget(['bpf_put_file']), catalog).findings.filter((f) => f.code === 'kfunc-not-allowed');
    assert.deepEqual(
      found.map((f) => f.range.start.line + 1),
      [23, 34, 62, 74],
    );
    assert.match(
      found[1].message,
      /^Kernel 7\.3\.4's BTF \(BTF of \/tmp\/vmlinux\) has no function bpf_get_file_xattr: libbpf cannot resolve/,
    );
  });
  it('a kfunc the BTF has follows the release data (sleepable in lsm/)', () => {
    const found = analyzer
      .analyze(text, btfTarget(['bpf_get_file_xattr', 'bpf_get_task_exe_file', 'bpf_put_file']), catalog)
      .findings.filter((f) => f.code === 'kfunc-not-allowed');
    assert.deepEqual(
      found.map((f) => f.range.start.line + 1),
      [23, 62, 74],
    );
  });
});
