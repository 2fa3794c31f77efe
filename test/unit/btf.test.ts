// BTF: this machine's kernel BTF read in TypeScript, compared with the header tables, and bad input.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { describe, it } from 'node:test';
import { hooksFromBtf } from '../../server/src/btf/btfHooks';
import { BtfError, parseBtf } from '../../server/src/btf/btfReader';
import { parseParam } from '../../server/src/ctext/cDecl';
import { HookCatalog } from '../../server/src/hooks/catalog';
import type { HookDef } from '../../server/src/hooks/types';
import { compareVersions, parseVersion } from '../../server/src/hooks/versions';
import { skipIfMissing } from '../helpers/paths';

const LOCAL_BTF = '/sys/kernel/btf/vmlinux';
const hasLocalBtf = fs.existsSync(LOCAL_BTF);

/** base type and pointer depth of each argument: what a BPF_PROG must match. */
const shape = (h: HookDef) =>
  `${h.ret}(${h.args
    .map((a) => {
      const p = parseParam(`${a.type} ${a.name}`);
      return `${p.base}${'*'.repeat(p.pointer)}`;
    })
    .join(', ')})`;

/** The bundled release nearest to a kernel version, in either direction. */
function nearestRelease(catalog: HookCatalog, release: string) {
  const v = parseVersion(release)!;
  const distance = (r: string) => {
    const x = parseVersion(r)!;
    return Math.abs((x[0] - v[0]) * 100 + (x[1] - v[1]));
  };
  return [...catalog.releases].sort((a, b) => distance(a.release) - distance(b.release))[0];
}

describe("BTF of this machine's kernel", { skip: skipIfMissing(hasLocalBtf, LOCAL_BTF) }, () => {
  const data = hasLocalBtf ? fs.readFileSync(LOCAL_BTF) : Buffer.alloc(0);

  it('lists the LSM kfuncs the kernel has (this machine runs 6.18: the fs kfuncs of 6.8 and later)', () => {
    const { kfuncs } = hooksFromBtf(data);
    for (const k of ['bpf_get_file_xattr', 'bpf_put_file', 'bpf_get_task_exe_file']) assert.ok(kfuncs.includes(k), k);
    assert.ok(!kfuncs.includes('bpf_lsm_file_open'), 'a hook is no kfunc');
  });

  it('yields every bpf_lsm_ hook with its prototype rendered as C', () => {
    const { hooks, skipped } = hooksFromBtf(data);
    assert.ok(hooks.length > 200, `${hooks.length} hooks`);
    const byName = new Map(hooks.map((h) => [h.name, h]));
    assert.deepEqual(byName.get('file_open'), {
      name: 'file_open',
      ret: 'int',
      defaultValue: '',
      args: [{ type: 'struct file *', name: 'file' }],
      condition: null,
    });
    assert.deepEqual(byName.get('bprm_committed_creds')!.ret, 'void');
    assert.deepEqual(
      byName.get('sb_mount')!.args.map((a) => a.type),
      ['const char *', 'const struct path *', 'const char *', 'unsigned long', 'void *'],
    );
    assert.ok(skipped.includes('verify_prog'), 'BPF LSM internals are not hooks');
    assert.ok(!byName.has('verify_prog'));
  });

  it('agrees with the header table of the nearest release, except where this kernel really differs', (t) => {
    const catalog = HookCatalog.bundled();
    const release = os.release();
    const table = nearestRelease(catalog, release);
    const btf = new Map(hooksFromBtf(data).hooks.map((h) => [h.name, h]));
    const newerThanTable = (hook: string) =>
      catalog.releasesWith(hook).some((r) => compareVersions(parseVersion(r)!, parseVersion(table.release)!) > 0);
    const differences: string[] = [];
    for (const [name, h] of btf) {
      const header = table.hooks.get(name);
      if (!header) {
        // Reason allowed: a hook of a later release, backported into this kernel.
        assert.ok(newerThanTable(name), `${name} is in this kernel's BTF but in no bundled release from ${table.release} on`);
        differences.push(`${name}: backported from a later release (${catalog.releasesWith(name)[0]})`);
      } else if (shape(h) !== shape(header)) {
        // Reason allowed: the prototype changed in a later release and this kernel has the later one.
        const later = catalog.releases.filter((r) => compareVersions(parseVersion(r.release)!, parseVersion(table.release)!) > 0);
        assert.ok(
          later.some((r) => r.hooks.get(name) && shape(r.hooks.get(name)!) === shape(h)),
          `${name}: BTF ${shape(h)} vs ${table.release} header ${shape(header)}`,
        );
        differences.push(`${name}: prototype of a later release`);
      }
    }
    for (const [name, header] of table.hooks) {
      if (btf.has(name)) continue;
      // Reason allowed: the hook is compiled out by a config option this kernel does not set.
      assert.ok(header.condition, `${name} is in the ${table.release} header without a condition but not in this kernel`);
      differences.push(`${name}: compiled out (${header.condition})`);
    }
    t.diagnostic(`kernel ${release} vs bundled ${table.release}: ${differences.length} difference(s)`);
    for (const d of differences) t.diagnostic(`  ${d}`);
  });
});

describe('BTF: bad input gives a clear error', () => {
  const real = hasLocalBtf ? fs.readFileSync(LOCAL_BTF) : null;

  it('refuses short data and a wrong magic', () => {
    assert.throws(() => parseBtf(new Uint8Array(10)), /shorter than the BTF header/);
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    assert.throws(() => parseBtf(elf), /not BTF: magic 0x457f, expected 0xeb9f/);
  });

  it('refuses truncated BTF', { skip: skipIfMissing(!!real, 'a real kernel BTF') }, () => {
    for (const size of [24, 1000, real!.length >> 1, real!.length - 1]) {
      assert.throws(
        () => hooksFromBtf(real!.subarray(0, size)),
        (e: Error) => e instanceof BtfError && /truncated BTF/.test(e.message),
        `size ${size}`,
      );
    }
  });

  it('refuses an unknown kind and a string offset outside the string section', { skip: skipIfMissing(!!real, 'a real kernel BTF') }, () => {
    const hdrLen = real!.readUInt32LE(4);
    const typeStart = hdrLen + real!.readUInt32LE(8);
    const badKind = Buffer.from(real!);
    badKind.writeUInt32LE((31 << 24) >>> 0, typeStart + 4);
    assert.throws(() => parseBtf(badKind), /type 1 has unknown kind 31/);
    const badName = Buffer.from(real!);
    badName.writeUInt32LE(0xffffff0, typeStart);
    assert.throws(() => parseBtf(badName), /outside the \d+-byte string section/);
  });

  it('throws nothing but BtfError on corrupted bytes', { skip: skipIfMissing(!!real, 'a real kernel BTF') }, () => {
    let seed = 3;
    const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * n);
    for (let i = 0; i < 40; i++) {
      const copy = Buffer.from(real!.subarray(0, 24 + rand(200_000)));
      for (let k = 0; k < 20; k++) copy[rand(copy.length)] = rand(256);
      try {
        hooksFromBtf(copy);
      } catch (e) {
        assert.ok(e instanceof BtfError, `iteration ${i}: ${(e as Error).stack}`);
      }
    }
  });
});
