// Crafted BTF, written here by a small BTF writer: a prototype that refers back to itself, prototypes that
// share parts (exponential text once written out), and valid BTF with no bpf_lsm_ functions. The first two
// once rendered for minutes (2.6 GB); the last quietly fell back to the bundled table.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hooksFromBtf } from '../../server/src/btf/btfHooks';
import { BtfError } from '../../server/src/btf/btfReader';
import { resolveTarget } from '../../server/src/lsp/targetProvider';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { DEFAULT_SETTINGS } from '../../common/settings';
import { BtfWriter, K } from '../helpers/btfWriter';
import { CLI, FIXTURES, REPO_ROOT } from '../helpers/paths';

const LIMIT_MS = 20_000;
const BTF_HOOKS = path.resolve(__dirname, '..', '..', 'server', 'src', 'btf', 'btfHooks');

/** bpf_lsm_file_open(struct file *file) and bpf_lsm_sb_umount(struct vfsmount *mnt, int flags), as a kernel has them. */
function saneBtf(): Buffer {
  const w = new BtfWriter();
  const int = w.int('int');
  const file = w.type(K.Struct, w.str('file'), 0, 0);
  const mount = w.type(K.Struct, w.str('vfsmount'), 0, 0);
  w.func('bpf_lsm_file_open', w.proto(int, [['file', w.ptr(file)]]));
  w.func(
    'bpf_lsm_sb_umount',
    w.proto(int, [
      ['mnt', w.ptr(mount)],
      ['flags', int],
    ]),
  );
  return w.bytes();
}

/** bpf_lsm_file_open(fn_t a, fn_t b) where fn_t is a pointer to that very prototype. */
function cyclicBtf(): Buffer {
  const w = new BtfWriter();
  const int = w.int('int'); // 1
  w.proto(int, [
    ['a', 3],
    ['b', 3],
  ]); // 2, its parameters point at 3
  w.ptr(2); // 3
  w.func('bpf_lsm_file_open', 2);
  return w.bytes();
}

/** A cycle through const and a pointer, no prototype in it: const (const *)... */
function constCycleBtf(): Buffer {
  const w = new BtfWriter();
  const int = w.int('int'); // 1
  w.type(K.Const, 0, 0, 3); // 2 -> 3
  w.ptr(2); // 3 -> 2
  w.func('bpf_lsm_file_open', w.proto(int, [['p', 3]]));
  return w.bytes();
}

/** 12 levels of prototypes with 16 parameters each, all pointers to the next level: 16^12 when written out. */
function wideBtf(): Buffer {
  const w = new BtfWriter();
  const int = w.int('int');
  let next = int;
  for (let level = 0; level < 12; level++) {
    const ptr = w.ptr(next);
    next = w.proto(
      int,
      Array.from({ length: 16 }, (_, i): [string, number] => [`p${i}`, ptr]),
    );
  }
  w.func('bpf_lsm_file_open', next);
  return w.bytes();
}

/** Valid BTF of a kernel without BPF LSM: functions, none named bpf_lsm_*; one with name offset 0. */
function noLsmBtf(): Buffer {
  const w = new BtfWriter();
  const int = w.int('int');
  const proto = w.proto(int, [['x', int]]);
  w.func('vfs_open', proto);
  w.type(K.Func, 0, 1, proto);
  w.type(K.Typedef, w.str('bpf_lsm_hook_t'), 0, int);
  return w.bytes();
}

/** What hooksFromBtf says about `data`, in a child process killed after LIMIT_MS. */
function hooksInChild(data: Buffer): string {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `
    const { hooksFromBtf } = require(${JSON.stringify(BTF_HOOKS)});
    const data = Buffer.from(require('node:fs').readFileSync(0));
    try { console.log(JSON.stringify(hooksFromBtf(data).hooks)); } catch (e) { console.log(e.constructor.name + ': ' + e.message); }`,
    ],
    { input: data, encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL' },
  );
  assert.equal(r.error, undefined, `did not finish within ${LIMIT_MS} ms`);
  return r.stdout.trim();
}

describe('crafted BTF', () => {
  it('the writer makes BTF the reader understands', () => {
    assert.deepEqual(hooksFromBtf(saneBtf()), {
      hooks: [
        { name: 'file_open', ret: 'int', defaultValue: '', args: [{ type: 'struct file *', name: 'file' }], condition: null },
        {
          name: 'sb_umount',
          ret: 'int',
          defaultValue: '',
          args: [
            { type: 'struct vfsmount *', name: 'mnt' },
            { type: 'int', name: 'flags' },
          ],
          condition: null,
        },
      ],
      skipped: [],
      kfuncs: [],
    });
  });

  it('a prototype that refers back to itself is a clear BtfError, at once', () => {
    assert.equal(hooksInChild(cyclicBtf()), 'BtfError: corrupt BTF: type 3 (PTR) refers back to itself');
    assert.equal(hooksInChild(constCycleBtf()), 'BtfError: corrupt BTF: type 3 (PTR) refers back to itself');
  });

  it('prototypes too large to write out are a clear BtfError, at once', () => {
    assert.equal(
      hooksInChild(wideBtf()),
      'BtfError: corrupt BTF: its function prototypes are too large to render (over 2000000 types and characters)',
    );
  });

  it('valid BTF without bpf_lsm_ functions (or with nameless ones) is an error, not another table', () => {
    assert.throws(
      () => hooksFromBtf(noLsmBtf()),
      (e: Error) =>
        e instanceof BtfError && e.message === "no bpf_lsm_ hook functions: is it a kernel's vmlinux BTF, built with CONFIG_BPF_LSM?",
    );
  });

  it('a string section without its final NUL, and a name that never ends, are BtfErrors', () => {
    const data = saneBtf();
    data[data.length - 1] = 0x41;
    assert.throws(() => hooksFromBtf(data), /corrupt BTF: the string section does not end with a NUL byte/);
    const w = new BtfWriter();
    w.func(`bpf_lsm_${'x'.repeat(5000)}`, w.proto(w.int('int'), []));
    assert.throws(() => hooksFromBtf(w.bytes()), /corrupt BTF: the name at string offset 5 is longer than 4096 bytes/);
  });
});

describe('crafted BTF given to the linter and the server', () => {
  let dir: string;
  const write = (name: string, data: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, data);
    return file;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-btf-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function lint(...args: string[]) {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, timeout: LIMIT_MS, killSignal: 'SIGKILL' });
    assert.equal(r.error, undefined, `bpf-lsm-lint did not finish within ${LIMIT_MS} ms`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('the linter exits 2 with one line for a cyclic BTF and for one without bpf_lsm_ functions', () => {
    const source = path.join(FIXTURES, 'lint', 'seed-connect-braced.bpf.c');
    const cyclic = write('cyclic.btf', cyclicBtf());
    assert.deepEqual(lint('--btf', cyclic, source), {
      status: 2,
      stdout: '',
      stderr: `bpf-lsm-lint: --btf ${cyclic}: corrupt BTF: type 3 (PTR) refers back to itself\n`,
    });
    const noLsm = write('no-lsm.btf', noLsmBtf());
    assert.deepEqual(lint('--btf', noLsm, source), {
      status: 2,
      stdout: '',
      stderr: `bpf-lsm-lint: --btf ${noLsm}: no bpf_lsm_ hook functions: is it a kernel's vmlinux BTF, built with CONFIG_BPF_LSM?\n`,
    });
  });

  it('the linter checks against a sane crafted BTF', () => {
    const sane = write('sane.btf', saneBtf());
    const source = path.join(dir, 'open.bpf.c');
    fs.writeFileSync(
      source,
      'char L[] SEC("license") = "GPL";\nSEC("lsm/file_open")\nint BPF_PROG(p, struct file *file, int ret)\n{ return ret; }\n' +
        'SEC("lsm/socket_connect")\nint BPF_PROG(q, int ret)\n{ return ret; }\n',
    );
    const r = lint('--btf', sane, '--format', 'json', source);
    assert.equal(r.status, 1);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { line: number; code: string }[]).map((f) => `${f.line} ${f.code}`),
      ['5 hook-not-in-kernel'],
    );
  });

  it('the server lists a BTF without bpf_lsm_ functions among its target problems', () => {
    const noLsm = write('no-lsm-server.btf', noLsmBtf());
    const { target, problems } = resolveTarget({ ...DEFAULT_SETTINGS, btfPath: noLsm }, HookCatalog.bundled());
    assert.equal(target.source.kind, 'bundled');
    assert.deepEqual(problems, [
      {
        severity: 'error',
        message: `bpfLsm.btfPath: ${noLsm}: no bpf_lsm_ hook functions: is it a kernel's vmlinux BTF, built with CONFIG_BPF_LSM?; using the bundled hook tables instead.`,
      },
    ]);
  });
});
