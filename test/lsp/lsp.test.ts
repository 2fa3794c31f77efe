// The real language server (dist/server.js) through the protocol: diagnostics, hover, completion,
// quick fixes, settings, robustness.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { createCParser } from '../../server/src/analysis/cParser';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { applyEdits } from '../helpers/edits';
import { FIXTURES, fixture, skipIfMissing } from '../helpers/paths';
import { errorNodeCount } from '../helpers/syntaxErrors';
import { LspTestClient } from './lspClient';

/** The default kernel (the newest bundled release), as a regex. */
const NEWEST = HookCatalog.bundled().newest.release.replace(/\./g, '\\.');

const uriOf = (name: string) => `file:///work/${name}`;

function textAt(text: string, d: Diagnostic): string {
  const line = text.split('\n')[d.range.start.line];
  return line.slice(d.range.start.character, d.range.end.character);
}

/** LSP 3.18 allows markup in diagnostic messages; ours are plain strings. */
function messageOf(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : d.message.value;
}

async function errorNodes(text: string): Promise<number> {
  const parser = await createCParser();
  try {
    return errorNodeCount(parser, text);
  } finally {
    parser.delete();
  }
}

describe('language server over the protocol', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start();
  });
  after(async () => {
    await lsp.stop();
  });

  it('announces incremental sync, hover, completion and quick fixes', () => {
    const caps = lsp.capabilities!.capabilities;
    assert.deepEqual(caps.textDocumentSync, { openClose: true, change: 2 });
    assert.equal(caps.hoverProvider, true);
    assert.deepEqual(caps.completionProvider?.triggerCharacters, ['/', '(', ',']);
    assert.deepEqual(caps.codeActionProvider, { codeActionKinds: ['quickfix'] });
  });

  it('publishes diagnostics with codes and exact ranges when a BPF file opens', async () => {
    const text = fixture('lint', 'seed-target-exec.bpf.c');
    const uri = uriOf('exec.bpf.c');
    const next = lsp.nextDiagnostics(uri);
    await lsp.open(uri, text);
    const { diagnostics, version } = await next;
    assert.equal(version, 1);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, textAt(text, d), d.severity, d.source]),
      [
        ['unknown-hook', 'target_exec', 1, 'bpf-lsm'],
        ['wrong-macro', 'BPF_KPROBE', 1, 'bpf-lsm'],
      ],
    );
  });

  it('carries where a returned value came from as related information', async () => {
    const text = fixture('lint', 'values-through-code.bpf.c');
    const uri = uriOf('values.bpf.c');
    await lsp.setSettings({ debounceMs: 0, kernel: '6.12' });
    const next = lsp.nextDiagnostics(uri);
    await lsp.open(uri, text);
    const { diagnostics } = await next;
    await lsp.close(uri);
    await lsp.setSettings({ debounceMs: 0 });
    const d = diagnostics.find((x) => x.code === 'return-out-of-range')!;
    assert.equal(textAt(text, d), 'err');
    assert.equal(d.range.start.line, 38);
    assert.deepEqual(d.relatedInformation, [
      {
        location: { uri, range: { start: { line: 32, character: 14 }, end: { line: 32, character: 19 } } },
        message: "'err' is set to 1 here",
      },
    ]);
    const direct = diagnostics.filter((x) => x.code === 'missing-ret-passthrough');
    assert.ok(direct.every((x) => x.relatedInformation === undefined));
  });

  it('stays quiet on plain C files, even on text it would flag in a BPF file', async () => {
    // No SEC(, no vmlinux.h or bpf_helpers.h, not *.bpf.c: plain C, left to clangd and cpptools.
    const text = '#include <stdio.h>\n__attribute__((section("lsm/target_exec"))) int prog(unsigned long long *ctx) { return 0; }\n';
    await lsp.open(uriOf('plain.c'), text);
    const asBpf = await lsp.openAndWait(uriOf('same-text.bpf.c'), text);
    assert.deepEqual(
      asBpf.diagnostics.map((d) => d.code),
      ['license', 'unknown-hook'],
    );
    assert.equal(lsp.published.filter((p) => p.uri === uriOf('plain.c')).length, 0);
  });

  it('follows incremental edits: a typo appears, then its fix clears the diagnostics', async () => {
    const text = fixture('lint', 'seed-connect-braced.bpf.c');
    const uri = uriOf('connect.bpf.c');
    await lsp.open(uri, text);
    const line = text.split('\n').findIndex((l) => l.includes('lsm/socket_connect'));
    const col = text.split('\n')[line].indexOf('socket_connect');
    // Type "x" inside the hook name: socket_connect -> socket_xconnect.
    let v = await lsp.change(uri, [{ range: { start: { line, character: col + 7 }, end: { line, character: col + 7 } }, text: 'x' }]);
    let d = await lsp.nextDiagnostics(uri, v);
    assert.deepEqual(
      d.diagnostics.map((x) => x.code),
      ['unknown-hook'],
    );
    assert.deepEqual(d.diagnostics[0].range, { start: { line, character: col }, end: { line, character: col + 15 } });
    assert.match(messageOf(d.diagnostics[0]), /Did you mean 'socket_connect'/);
    v = await lsp.change(uri, [{ range: { start: { line, character: col + 7 }, end: { line, character: col + 8 } }, text: '' }]);
    d = await lsp.nextDiagnostics(uri, v);
    assert.deepEqual(d.diagnostics, []);
    // A multi-line paste and a whole-document replacement go through the same path.
    v = await lsp.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '/* a\n * b\n */\n' }]);
    assert.deepEqual((await lsp.nextDiagnostics(uri, v)).diagnostics, []);
    v = await lsp.change(uri, [{ text: fixture('lint', 'license-bad.bpf.c') }]);
    assert.deepEqual(
      (await lsp.nextDiagnostics(uri, v)).diagnostics.map((x) => x.code),
      ['license'],
    );
  });

  it('clears diagnostics when a document closes', async () => {
    const uri = uriOf('closing.bpf.c');
    const opened = lsp.nextDiagnostics(uri);
    await lsp.open(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    assert.equal((await opened).diagnostics.length, 2);
    const cleared = lsp.nextDiagnostics(uri);
    await lsp.close(uri);
    assert.deepEqual((await cleared).diagnostics, []);
  });

  it('hovers on a hook name with its prototype, semantics and releases', async () => {
    const text = fixture('lint', 'seed-connect-braced.bpf.c');
    const uri = uriOf('hover.bpf.c');
    await lsp.open(uri, text);
    const line = text.split('\n').findIndex((l) => l.includes('lsm/socket_connect'));
    const h = await lsp.hover(uri, line, text.split('\n')[line].indexOf('socket_connect') + 3);
    const value = (h!.contents as { value: string }).value;
    assert.deepEqual(h!.range, { start: { line, character: 9 }, end: { line, character: 23 } });
    assert.match(value, new RegExp(`\\*\\*socket_connect\\*\\*: LSM hook \\(kernel ${NEWEST}, bundled hook table\\)`));
    assert.match(value, /int socket_connect\(struct socket \*sock, struct sockaddr \*address, int addrlen\)/);
    assert.match(value, /BPF_PROG\(restrict_connect, struct socket \*sock, struct sockaddr \*address, int addrlen, int ret\)/);
    assert.match(value, /Returns int: return 0 to allow, a negative errno/);
    assert.match(value, /Sleepable \(`lsm\.s\/`\): yes/);
    assert.match(value, /`lsm_cgroup\/`: yes/);
    assert.match(value, new RegExp(`Releases: 5\\.7\\.14 to ${NEWEST} \\(first in 5\\.7\\.14\\)`));
    assert.match(value, /Built with: `CONFIG_SECURITY_NETWORK`/);
    const onMacro = await lsp.hover(uri, line + 1, text.split('\n')[line + 1].indexOf('BPF_PROG') + 2);
    assert.match((onMacro!.contents as { value: string }).value, /socket_connect/);
    assert.equal(await lsp.hover(uri, 0, 0), null);
  });

  it('hover lists prototype changes across releases', async () => {
    const uri = uriOf('setxattr.bpf.c');
    await lsp.open(uri, 'SEC("lsm/inode_setxattr")\nint BPF_PROG(p, struct mnt_idmap *idmap, int ret) { return ret; }\n');
    const value = ((await lsp.hover(uri, 0, 12))!.contents as { value: string }).value;
    assert.match(value, /Prototype changes:\n {2}- 5\.7\.14 to 5\.10\.13: int inode_setxattr\(struct dentry \*dentry/);
    assert.match(value, /: int inode_setxattr\(struct mnt_idmap \*idmap, struct dentry \*dentry/);
  });

  it('completes hook names after SEC("lsm/, only sleepable hooks after lsm.s/, every enabled hook after lsm_cgroup/', async () => {
    const uri = uriOf('complete.bpf.c');
    const text = 'SEC("lsm/fi\nSEC("lsm.s/\nSEC("lsm_cgroup/\n';
    await lsp.open(uri, text);
    const plain = await lsp.completion(uri, 0, 12);
    const fileOpen = plain.find((i) => i.label === 'file_open')!;
    assert.equal(fileOpen.detail, 'int file_open(struct file *file)');
    assert.deepEqual(fileOpen.textEdit, {
      range: { start: { line: 0, character: 10 }, end: { line: 0, character: 12 } },
      newText: 'file_open',
    });
    assert.ok(plain.some((i) => i.label === 'bprm_committed_creds'));
    assert.ok(!plain.some((i) => i.label === 'vm_enough_memory'), 'disabled hooks are not offered');
    const sleepable = (await lsp.completion(uri, 1, 12)).map((i) => i.label);
    assert.ok(sleepable.includes('bprm_check_security'));
    assert.ok(!sleepable.includes('file_permission'));
    const cgroup = (await lsp.completion(uri, 2, 16)).map((i) => i.label);
    assert.ok(cgroup.includes('socket_bind'));
    // Void hooks take lsm_cgroup programs too (returning 1), as the kernels probed here load them.
    assert.ok(cgroup.includes('sock_graft'), 'void hooks take lsm_cgroup programs that return 1');
    assert.ok(!cgroup.includes('vm_enough_memory'), 'disabled hooks are not offered');
  });

  it('hovers on a helper call: may this program call it, per release, and does it sleep', async () => {
    const uri = uriOf('helper-hover.bpf.c');
    const text =
      'SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n    char b[8];\n' +
      '    bpf_copy_from_user(b, 8, 0);\n    bpf_get_current_comm(b, 8);\n    return 0;\n}\n';
    await lsp.open(uri, text);
    const h = await lsp.hover(uri, 4, 8);
    const value = (h!.contents as { value: string }).value;
    assert.deepEqual(h!.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 22 } });
    assert.match(value, /\*\*bpf_copy_from_user\*\*: BPF helper #148/);
    assert.match(
      value,
      /In this `lsm\/file_open` program on kernel 7\.3\.4: no: "sleepable helper bpf_copy_from_user#148 in non-sleepable prog"/,
    );
    assert.match(value, /Sleepable: it may sleep: sleepable programs \(`lsm\.s\/`\) only/);
    assert.match(value, /per release: 6\.1\.192 no, 6\.12\.117 no, 7\.2\.13 no, 7\.3\.4 no/);
    const comm = ((await lsp.hover(uri, 5, 8))!.contents as { value: string }).value;
    assert.match(comm, /on kernel 7\.3\.4: yes/);
    assert.match(comm, /Sleepable: no/);
    assert.equal(await lsp.hover(uri, 3, 6), null, 'a local variable is no call');
  });

  it('hovers on a kfunc call: sleepable, and which releases have it', async () => {
    const uri = uriOf('kfunc-hover.bpf.c');
    const text =
      'extern int bpf_get_file_xattr(struct file *file, const char *name, struct bpf_dynptr *value_p) __ksym;\n' +
      'SEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{\n    bpf_get_file_xattr(file, "user.a", 0);\n    return 0;\n}\n';
    await lsp.open(uri, text);
    const value = ((await lsp.hover(uri, 4, 10))!.contents as { value: string }).value;
    assert.match(value, /\*\*bpf_get_file_xattr\*\*: kfunc \(`__ksym`\)/);
    assert.match(
      value,
      /on kernel 7\.3\.4: no: sleepable kfunc \("program must be sleepable to call sleepable kfunc bpf_get_file_xattr"\)/,
    );
    assert.match(value, /Sleepable: yes \(KF_SLEEPABLE\)/);
    assert.match(value, /per release: 6\.1\.192 no, 6\.12\.117 no, 7\.2\.13 no, 7\.3\.4 no/);
  });

  it('completes helpers inside a program body with those this program may call', async () => {
    const uri = uriOf('helper-complete.bpf.c');
    const text =
      'SEC("lsm/file_open")\nint BPF_PROG(a, struct file *file, int ret)\n{\n    bpf_copy_f\n    return 0;\n}\n' +
      'SEC("lsm.s/file_open")\nint BPF_PROG(b, struct file *file, int ret)\n{\n    bpf_copy_f\n    return 0;\n}\n' +
      'SEC("lsm_cgroup/socket_bind")\nint BPF_PROG(c, struct socket *sock, struct sockaddr *address, int addrlen)\n{\n    bpf_get_ret\n    return 1;\n}\n';
    await lsp.open(uri, text);
    const labels = async (line: number, character: number) => (await lsp.completion(uri, line, character)).map((i) => i.label);
    assert.deepEqual(await labels(3, 14), []);
    assert.deepEqual(await labels(9, 14), ['bpf_copy_from_user', 'bpf_copy_from_user_task']);
    assert.deepEqual(await labels(15, 15), ['bpf_get_retval']);
  });

  it('completes the whole BPF_PROG argument list, with int ret, as a snippet', async () => {
    const uri = uriOf('args.bpf.c');
    await lsp.open(uri, 'SEC("lsm/file_mprotect")\nint BPF_PROG(guard\n');
    const [item] = await lsp.completion(uri, 1, 18);
    assert.equal(item.label, 'struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret');
    assert.equal(item.insertTextFormat, 2);
    assert.deepEqual(item.textEdit, {
      range: { start: { line: 1, character: 18 }, end: { line: 1, character: 18 } },
      newText: ', ${1:struct vm_area_struct *vma}, ${2:unsigned long reqprot}, ${3:unsigned long prot}, ${4:int ret}',
    });
  });

  it('completion items in full: a hook, an argument list typed in part, lsm_cgroup without ret; none where nothing fits', async () => {
    const uri = uriOf('complete-full.bpf.c');
    const text = [
      'SEC("lsm/file_ope',
      'SEC("lsm_cgroup/socket_bind")',
      'int BPF_PROG(bind_guard',
      'SEC("lsm/file_open")',
      'int BPF_PROG(open_guard, struct fi',
      'SEC("lsm/file_open") int BPF_PROG(p, struct file *file, int ret) { bp',
      '',
    ].join('\n');
    await lsp.open(uri, text);
    const hooks = await lsp.completion(uri, 0, 17);
    assert.deepEqual(
      hooks.find((i) => i.label === 'file_open'),
      {
        label: 'file_open',
        kind: 3,
        detail: 'int file_open(struct file *file)',
        documentation: { kind: 'markdown', value: 'Returns int; sleepable in kernel 7.3.4; first bundled release with it: 5.7.14.' },
        textEdit: { range: { start: { line: 0, character: 9 }, end: { line: 0, character: 17 } }, newText: 'file_open' },
      },
    );
    assert.deepEqual(hooks.find((i) => i.label === 'file_permission')?.documentation, {
      kind: 'markdown',
      value: 'Returns int; not sleepable in kernel 7.3.4; first bundled release with it: 5.7.14.',
    });
    assert.deepEqual(await lsp.completion(uri, 2, 23), [
      {
        label: 'struct socket *sock, struct sockaddr *address, int addrlen',
        kind: 15,
        detail: "socket_bind's arguments in kernel 7.3.4",
        documentation: 'int socket_bind(struct socket *sock, struct sockaddr *address, int addrlen)',
        insertTextFormat: 2,
        textEdit: {
          range: { start: { line: 2, character: 23 }, end: { line: 2, character: 23 } },
          newText: ', ${1:struct socket *sock}, ${2:struct sockaddr *address}, ${3:int addrlen}',
        },
        filterText: ', struct socket *sock, struct sockaddr *address, int addrlen',
        preselect: true,
      },
    ]);
    // Arguments typed already are replaced: the edit starts at the first comma.
    const [open] = await lsp.completion(uri, 4, 34);
    assert.deepEqual(open.textEdit, {
      range: { start: { line: 4, character: 23 }, end: { line: 4, character: 34 } },
      newText: ', ${1:struct file *file}, ${2:int ret}',
    });
    // Two letters are not yet a call worth completing.
    assert.deepEqual(await lsp.completion(uri, 5, 70), []);
    // The program's SEC() is looked for in the 600 characters before the BPF_PROG( line.
    const far = uriOf('complete-far.bpf.c');
    await lsp.open(far, `SEC("lsm/file_open")\n// ${'x'.repeat(560)}\nint BPF_PROG(near\n// ${'x'.repeat(40)}\nint BPF_PROG(far\n`);
    assert.equal((await lsp.completion(far, 2, 17)).length, 1);
    assert.deepEqual(await lsp.completion(far, 4, 16), []);
  });

  it('offers no lsm_cgroup/ hooks on a kernel before 6.0, which has no lsm_cgroup programs', async () => {
    await lsp.setSettings({ kernel: '5.15' });
    try {
      const uri = uriOf('cgroup-old.bpf.c');
      await lsp.open(uri, 'SEC("lsm_cgroup/\nSEC("lsm/\n');
      assert.deepEqual(await lsp.completion(uri, 0, 16), []);
      assert.ok((await lsp.completion(uri, 1, 9)).some((i) => i.label === 'socket_bind'));
    } finally {
      await lsp.setSettings({ kernel: '' });
    }
  });

  it('every quick fix of every fixture fixes its diagnostic and leaves the file parsing as before', async () => {
    const dir = path.join(FIXTURES, 'lint');
    let applied = 0;
    for (const file of fs.readdirSync(dir).sort()) {
      const text = fixture('lint', file);
      const kernel = /^\/\/ kernel: (\S+)/m.exec(text)?.[1] ?? '';
      await lsp.setSettings({ debounceMs: 0, kernel });
      const uri = uriOf(`fix-${file}`);
      const opened = lsp.nextDiagnostics(uri);
      await lsp.open(uri, text);
      const { diagnostics } = await opened;
      for (const d of diagnostics) {
        const actions = await lsp.codeActions(uri, d);
        for (const action of actions) {
          const fixed = applyEdits(text, action.edit!.changes![uri]);
          const checkUri = uriOf(`fixed-${applied}-${file}`);
          const after = lsp.nextDiagnostics(checkUri);
          await lsp.open(checkUri, fixed);
          const remaining = (await after).diagnostics;
          await lsp.close(checkUri);
          assert.ok(
            !remaining.some((r) => r.code === d.code && messageOf(r) === messageOf(d)),
            `${file}: '${action.title}' left: ${messageOf(d)}`,
          );
          assert.ok((await errorNodes(fixed)) <= (await errorNodes(text)), `${file}: '${action.title}' broke the syntax`);
          applied++;
        }
      }
      await lsp.close(uri);
    }
    await lsp.setSettings({ debounceMs: 0 });
    assert.ok(applied >= 20, `only ${applied} fixes applied`);
  });
});

describe('language server settings', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start({ debounceMs: 0, kernel: '5.15' });
  });
  after(async () => {
    await lsp.stop();
  });

  it('pulls its settings: it registers for change notifications of the bpfLsm section only', async () => {
    // A round trip: the server registers while handling `initialized`, before it answers later requests.
    await lsp.request('textDocument/hover', {
      textDocument: { uri: uriOf('none.bpf.c') },
      position: { line: 0, character: 0 },
    });
    assert.deepEqual(
      lsp.registrations.map((r) => [r.method, r.registerOptions]),
      [['workspace/didChangeConfiguration', { section: 'bpfLsm' }]],
    );
  });

  it('applies kernel, severity and disabled checks when they change, without a restart', async () => {
    const text = fixture('lint', 'kernel-history.bpf.c');
    const uri = uriOf('settings.bpf.c');
    const first = lsp.nextDiagnostics(uri);
    await lsp.open(uri, text);
    assert.deepEqual(
      (await first).diagnostics.map((d) => d.code),
      ['hook-not-in-kernel', 'unsupported-section', 'unknown-hook'],
    );
    let next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, kernel: '6.12' });
    assert.deepEqual(
      (await next).diagnostics.map((d) => d.code),
      ['unknown-hook'],
    );
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, kernel: '6.12', severity: { 'unknown-hook': 'warning' } });
    assert.deepEqual(
      (await next).diagnostics.map((d) => d.severity),
      [2],
    );
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, kernel: '6.12', disabledChecks: ['unknown-hook'] });
    assert.deepEqual((await next).diagnostics, []);
  });

  it('reports a broken or missing header once and keeps working on the bundled tables', async () => {
    const uri = uriOf('header.bpf.c');
    await lsp.setSettings({ debounceMs: 0 });
    await lsp.openAndWait(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    const missing = path.join(os.tmpdir(), 'no-such-lsm_hook_defs.h');
    let next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, hookDefsPath: missing });
    assert.deepEqual(
      (await next).diagnostics.map((d) => d.code),
      ['unknown-hook', 'wrong-macro'],
    );
    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, hookDefsPath: missing, disabledChecks: ['license'] });
    await next;
    const aboutMissing = lsp.messages.filter((m) => m.message.includes('no-such-lsm_hook_defs.h'));
    assert.equal(aboutMissing.length, 1);
    assert.equal(aboutMissing[0].type, 1);
    assert.match(aboutMissing[0].message, /cannot read .* \(no such file\); using the bundled hook tables/);

    next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, hookDefsPath: path.join(FIXTURES, 'headers', 'broken.h') });
    await next;
    assert.ok(lsp.messages.some((m) => /broken\.h has 6 problem\(s\): line 3: LSM_HOOK needs at least/.test(m.message)));
  });

  it(
    'reads the hook table from a kernel BTF file, and falls back with a message on a corrupt one',
    { skip: skipIfMissing(fs.existsSync('/sys/kernel/btf/vmlinux'), '/sys/kernel/btf/vmlinux') },
    async () => {
      const uri = uriOf('btf.bpf.c');
      const text = fixture('lint', 'seed-connect-braced.bpf.c');
      await lsp.setSettings({ debounceMs: 0 });
      await lsp.openAndWait(uri, text);
      const line = text.split('\n').findIndex((l) => l.includes('lsm/socket_connect'));
      await lsp.setSettings({ debounceMs: 0, btfPath: '/sys/kernel/btf/vmlinux' });
      const hover = ((await lsp.hover(uri, line, 12))!.contents as { value: string }).value;
      assert.match(hover, new RegExp(`LSM hook \\(kernel ${NEWEST}, BTF of /sys/kernel/btf/vmlinux\\)`));
      const corrupt = path.join(os.tmpdir(), `corrupt-${process.pid}.btf`);
      fs.writeFileSync(corrupt, Buffer.from('not btf at all, but long enough for a header'));
      try {
        await lsp.setSettings({ debounceMs: 0, btfPath: corrupt });
        assert.ok(lsp.messages.some((m) => m.type === 1 && m.message.includes(`bpfLsm.btfPath: ${corrupt}: not BTF: magic`)));
        const fallback = ((await lsp.hover(uri, line, 12))!.contents as { value: string }).value;
        assert.match(fallback, /bundled hook table/);
      } finally {
        fs.rmSync(corrupt, { force: true });
      }
    },
  );

  it('takes a bad kernel setting with a message and the newest release', async () => {
    const uri = uriOf('badkernel.bpf.c');
    await lsp.openAndWait(uri, fixture('lint', 'kernel-history.bpf.c'));
    const next = lsp.nextDiagnostics(uri);
    await lsp.setSettings({ debounceMs: 0, kernel: 'latest' });
    assert.deepEqual(
      (await next).diagnostics.map((d) => d.code),
      ['unknown-hook'],
    );
    assert.ok(lsp.messages.some((m) => /bpfLsm\.kernel: 'latest' is not a kernel version/.test(m.message)));
  });
});

describe('language server robustness', () => {
  let lsp: LspTestClient;
  before(async () => {
    lsp = await LspTestClient.start();
  });
  after(async () => {
    await lsp.stop();
  });

  it('answers a 10 MB file with a notice instead of stalling', async () => {
    const uri = uriOf('huge.bpf.c');
    const unit = fixture('lint', 'signature.bpf.c');
    const big = unit.repeat(Math.ceil((10 * 1024 * 1024) / unit.length));
    const next = lsp.nextDiagnostics(uri);
    await lsp.open(uri, big);
    const d = await next;
    assert.equal(d.diagnostics.length, 1);
    assert.match(messageOf(d.diagnostics[0]), /too large for BPF LSM analysis \(10\.\d MB; the limit is 4 MB\)/);
    await lsp.close(uri);
  });

  it('survives binary content, NUL bytes, unbalanced braces and half-written programs', async () => {
    const inputs = [
      '\0\x01\x02SEC("lsm/\0")\uFFFD\uD800',
      'SEC("lsm/file_open")\nint BPF_PROG(p, struct file *f, int ret) {{{{ if (ret',
      'SEC("lsm/file_open"\nint BPF_PROG(',
      '}}}}}))))SEC(',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1') + 'SEC(',
    ];
    for (const [i, text] of inputs.entries()) {
      const uri = uriOf(`odd-${i}.bpf.c`);
      await lsp.open(uri, text);
      await lsp.hover(uri, 0, 3);
      await lsp.completion(uri, 0, 5);
    }
    const uri = uriOf('alive.bpf.c');
    const next = lsp.nextDiagnostics(uri);
    await lsp.open(uri, fixture('lint', 'seed-target-exec.bpf.c'));
    assert.equal((await next).diagnostics.length, 2);
    assert.ok(lsp.alive);
  });
});
