// The pieces that derive a release's table from Debian's packages, without the network: the bpf_lsm.c set
// parser, release names, .deb reading (on packages built here with dpkg-deb from a few lines of made-up
// kernel text), and the differences between the bundled releases that docs/kernel-frontier.md lists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BpfLsmSetsError, parseBpfLsmSets, toHookSets } from '../../scripts/bpfLsmSets';
import { debFileName } from '../../scripts/debianArchive';
import { deriveRelease, mergeReleases, storedReleases, type DerivedRelease } from '../../scripts/generate-hook-tables';
import { describeDifferences } from '../../scripts/hookTableDiff';
import {
  formatReleaseSource,
  parseReleaseSource,
  readKernelDeb,
  readKernelTree,
  releaseOfDebianVersion,
  releaseOfMakefile,
} from '../../scripts/kernelSource';
import { TABLES_PATH } from '../../scripts/generate-hook-tables';
import type { StoredTables } from '../../server/src/hooks/tableFormat';
import { skipIfMissing } from '../helpers/paths';

/** A made-up bpf_lsm.c in the kernel's layout: sets from the header, named sets, #ifdefs, code between. */
const BPF_LSM_C = `// SPDX-License-Identifier: GPL-2.0
#define LSM_HOOK(RET, DEFAULT, NAME, ...)	\\
noinline RET bpf_lsm_##NAME(__VA_ARGS__)	\\
{ return DEFAULT; }
#include <linux/lsm_hook_defs.h>
#undef LSM_HOOK

#define LSM_HOOK(RET, DEFAULT, NAME, ...) BTF_ID(func, bpf_lsm_##NAME)
BTF_SET_START(bpf_lsm_hooks)
#include <linux/lsm_hook_defs.h>
#undef LSM_HOOK
BTF_SET_END(bpf_lsm_hooks)

BTF_SET_START(bpf_lsm_disabled_hooks)
BTF_ID(func, bpf_lsm_alpha_hook)
#ifdef CONFIG_KEYS
BTF_ID(func, bpf_lsm_key_hook) /* a comment */
#endif
BTF_SET_END(bpf_lsm_disabled_hooks)

int bpf_lsm_verify_prog(void) { return btf_id_set_contains(&bpf_lsm_disabled_hooks, 1); }
BTF_ID_LIST_SINGLE(some_ids, struct, inode)

BTF_SET_START(sleepable_lsm_hooks)
BTF_ID(func, bpf_lsm_alpha_hook)

#if defined(CONFIG_SECURITY_NETWORK) && defined(CONFIG_SECURITY_PATH)
BTF_ID(func, bpf_lsm_net_path_hook)
#else
BTF_ID(func, bpf_lsm_beta_hook)
#endif /* CONFIG_SECURITY_NETWORK */
#ifdef CONFIG_SECURITY_NETWORK
#ifndef CONFIG_AUDIT
BTF_ID(func, bpf_lsm_socket_hook)
#endif
#endif
BTF_SET_END(sleepable_lsm_hooks)

#define LSM_HOOK_void(DEFAULT, NAME, ...) BTF_ID(func, bpf_lsm_##NAME)
#define LSM_HOOK(RET, DEFAULT, NAME, ...) LSM_HOOK_##RET(DEFAULT, NAME, __VA_ARGS__)
BTF_SET_START(void_lsm_hooks)
#include <linux/lsm_hook_defs.h>
BTF_SET_END(void_lsm_hooks)
`;

const HEADER = `LSM_HOOK(int, 0, alpha_hook, struct file *file)
LSM_HOOK(int, 0, beta_hook, void)
LSM_HOOK(void, LSM_RET_VOID, gamma_hook, struct inode *inode)
#ifdef CONFIG_KEYS
LSM_HOOK(int, 0, key_hook, struct key *key)
#endif
#ifdef CONFIG_SECURITY_NETWORK
LSM_HOOK(int, 0, socket_hook, struct socket *sock)
LSM_HOOK(int, 0, net_path_hook, struct socket *sock)
#endif
`;

const MAKEFILE = (v: number, p: number, s: number) =>
  `# SPDX-License-Identifier: GPL-2.0\nVERSION = ${v}\nPATCHLEVEL = ${p}\nSUBLEVEL = ${s}\nEXTRAVERSION =\n`;

describe('bpf_lsm.c set parser', () => {
  it('reads each named set in file order with the condition of each entry, as ../shared writes them', () => {
    const parsed = parseBpfLsmSets(BPF_LSM_C);
    assert.deepEqual(parsed.fromHeader, ['bpf_lsm_hooks', 'void_lsm_hooks']);
    assert.deepEqual(parsed.sets, {
      bpf_lsm_disabled_hooks: [
        { hook: 'alpha_hook', config: null },
        { hook: 'key_hook', config: 'CONFIG_KEYS' },
      ],
      sleepable_lsm_hooks: [
        { hook: 'alpha_hook', config: null },
        { hook: 'net_path_hook', config: 'CONFIG_SECURITY_NETWORK && CONFIG_SECURITY_PATH' },
        { hook: 'beta_hook', config: '!(CONFIG_SECURITY_NETWORK && CONFIG_SECURITY_PATH)' },
        { hook: 'socket_hook', config: 'CONFIG_SECURITY_NETWORK && !CONFIG_AUDIT' },
      ],
    });
  });

  it('maps the sets to the stored names, sorted, and refuses a set it does not know', () => {
    const sets = toHookSets(parseBpfLsmSets(BPF_LSM_C).sets, 'test');
    assert.deepEqual(sets.disabled, ['alpha_hook', 'key_hook']);
    assert.deepEqual(sets.sleepable, ['alpha_hook', 'beta_hook', 'net_path_hook', 'socket_hook']);
    assert.deepEqual(sets.bool, []);
    assert.throws(() => toHookSets({ bpf_lsm_new_hooks: [] }, 'x.c'), /x\.c: unknown set bpf_lsm_new_hooks; teach SET_NAMES/);
  });

  it('refuses what it does not understand, with the line', () => {
    const broken: [string, RegExp][] = [
      [BPF_LSM_C.replace('BTF_SET_END(sleepable_lsm_hooks)', ''), /BTF_SET_START\(void_lsm_hooks\) inside set sleepable_lsm_hooks/],
      [
        BPF_LSM_C.replace('BTF_ID(func, bpf_lsm_beta_hook)', 'BTF_ID(struct, inode)'),
        /line 30: set sleepable_lsm_hooks has BTF_ID\(struct, inode\)/,
      ],
      [BPF_LSM_C.replace('BTF_ID(func, bpf_lsm_beta_hook)', 'BTF_ID(func, bpf_lsm_alpha_hook)'), /alpha_hook is listed twice/],
      [BPF_LSM_C.replace('BTF_ID(func, bpf_lsm_beta_hook)', 'BTF_SET8_ENTRY(x)'), /line 30: unexpected text in set sleepable_lsm_hooks/],
      [BPF_LSM_C.replace('BTF_SET_START(bpf_lsm_disabled_hooks)', 'BTF_SET8_START(bpf_lsm_disabled_hooks)'), /outside any BTF_SET_START/],
      [BPF_LSM_C.replace('#endif /* CONFIG_SECURITY_NETWORK */', ''), /#if not closed by #endif/],
      [BPF_LSM_C.replace('BTF_SET_START(bpf_lsm_hooks)', 'BTF_SET_START(other_hooks)'), /closes set other_hooks/],
      ['int x;\n', /no bpf_lsm_hooks set/],
      ['\0', /not a text file/],
    ];
    for (const [text, message] of broken)
      assert.throws(
        () => parseBpfLsmSets(text),
        (err: Error) => err instanceof BpfLsmSetsError && message.test(err.message),
      );
  });
});

describe('release names and sources', () => {
  it('takes the release from a Debian version or a Makefile', () => {
    assert.equal(releaseOfDebianVersion('7.3.4-1~bpo13+1'), '7.3.4');
    assert.equal(releaseOfDebianVersion('7.2.13-1'), '7.2.13');
    assert.equal(releaseOfDebianVersion('6.12.117-1~deb12u1'), '6.12.117');
    assert.equal(releaseOfDebianVersion('1:7.4~rc3-1~exp1'), '7.4');
    assert.equal(releaseOfDebianVersion('7.4.0-1'), '7.4');
    assert.equal(releaseOfDebianVersion('latest'), null);
    assert.equal(releaseOfMakefile(MAKEFILE(7, 3, 4)), '7.3.4');
    assert.equal(releaseOfMakefile(MAKEFILE(7, 4, 0)), '7.4');
    assert.equal(releaseOfMakefile('all:\n'), null);
  });

  it('writes and reads back the source of a release', () => {
    for (const text of ['../shared v7.1.5', 'debian linux-source-7.3 7.3.4-1~bpo13+1', 'kernel tree v7.3.4']) {
      assert.equal(formatReleaseSource(parseReleaseSource(text)!), text);
    }
    assert.equal(parseReleaseSource('bundled'), null);
    assert.equal(debFileName('linux-source-7.3', '1:7.3.4-1~bpo13+1'), 'linux-source-7.3_1%3a7.3.4-1~bpo13+1_all.deb');
  });

  it('lets a newer package of a series replace the older one, and a release name replace its namesake', () => {
    const release = (name: string, source: DerivedRelease['source']): DerivedRelease => ({
      release: name,
      source,
      headerBlob: '',
      hooks: [],
      sets: null,
      notes: [],
    });
    const base = [
      release('7.1.5', { kind: 'shared', release: '7.1.5' }),
      release('7.3.4', { kind: 'debian', package: 'linux-source-7.3', version: '7.3.4-1~bpo13+1' }),
    ];
    const { releases, replaced } = mergeReleases(base, [
      release('7.3.5', { kind: 'debian', package: 'linux-source-7.3', version: '7.3.5-1~bpo13+1' }),
      release('7.1.5', { kind: 'tree', release: '7.1.5' }),
    ]);
    assert.deepEqual(
      releases.map((r) => `${r.release} ${formatReleaseSource(r.source)}`),
      ['7.1.5 kernel tree v7.1.5', '7.3.5 debian linux-source-7.3 7.3.5-1~bpo13+1'],
    );
    assert.equal(replaced.length, 2);
  });
});

const tools = ['dpkg-deb', 'tar', 'xz'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

describe('reading Debian kernel packages', { skip: skipIfMissing(tools, 'dpkg-deb, tar or xz') }, () => {
  let dir = '';
  const run = (cmd: string, args: string[], cwd = dir) => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  };
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };
  /** A .deb with the given control fields and files (path -> text) under its root. */
  const buildDeb = (name: string, pkg: string, version: string, files: Record<string, string>) => {
    const root = path.join(dir, `${name}.root`);
    write(
      path.join(root, 'DEBIAN', 'control'),
      `Package: ${pkg}\nVersion: ${version}\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: test\n`,
    );
    for (const [file, text] of Object.entries(files)) write(path.join(root, file), text);
    run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, path.join(dir, `${name}.deb`)]);
    return path.join(dir, `${name}.deb`);
  };
  /** A linux-source-X.Y package: the tree as a .tar.xz, with files before and after the ones read. */
  const sourceDeb = (series: string, version: string, tree: Record<string, string>) => {
    const top = path.join(dir, `src-${version}`, `linux-source-${series}`);
    for (const [file, text] of Object.entries(tree)) write(path.join(top, file), text);
    for (let i = 0; i < 50; i++) write(path.join(top, 'zz', `filler${i}.c`), 'x'.repeat(20_000 + i));
    const tarball = path.join(dir, `linux-source-${series}.tar.xz`);
    run('tar', ['-cJf', tarball, '-C', path.dirname(top), `linux-source-${series}`]);
    const root = path.join(dir, `src-${version}.root`);
    fs.mkdirSync(path.join(root, 'usr', 'src'), { recursive: true });
    fs.renameSync(tarball, path.join(root, 'usr', 'src', `linux-source-${series}.tar.xz`));
    return buildDeb(`src-${version}`, `linux-source-${series}`, version, {});
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-deb-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('derives hooks and sets from a linux-source package, named after its version', async () => {
    const deb = sourceDeb('9.9', '9.9.3-1~bpo13+1', {
      Makefile: MAKEFILE(9, 9, 3),
      'include/linux/lsm_hook_defs.h': HEADER,
      'kernel/bpf/bpf_lsm.c': BPF_LSM_C,
    });
    const input = await readKernelDeb(deb);
    assert.equal(input.release, '9.9.3');
    assert.deepEqual(input.source, { kind: 'debian', package: 'linux-source-9.9', version: '9.9.3-1~bpo13+1' });
    assert.equal(input.header.toString('utf8'), HEADER);
    const derived = deriveRelease(input);
    assert.deepEqual(
      derived.hooks.map((h) => h.name),
      ['alpha_hook', 'beta_hook', 'gamma_hook', 'key_hook', 'socket_hook', 'net_path_hook'],
    );
    assert.deepEqual(derived.sets!.sleepable, ['alpha_hook', 'beta_hook', 'net_path_hook', 'socket_hook']);
    assert.deepEqual(derived.notes, []);
  });

  it('says which set entries the header lacks', async () => {
    const deb = sourceDeb('9.8', '9.8.1-1', {
      Makefile: MAKEFILE(9, 8, 1),
      'include/linux/lsm_hook_defs.h': HEADER.replace(/^LSM_HOOK\(int, 0, beta_hook.*\n/m, ''),
      'kernel/bpf/bpf_lsm.c': BPF_LSM_C,
    });
    assert.deepEqual(deriveRelease(await readKernelDeb(deb)).notes, [
      '9.8.1: the sleepable set names beta_hook, which its header does not declare',
    ]);
  });

  it('takes the hook table alone from a linux-headers-ABI-common package, and says so', async () => {
    const prefix = 'usr/src/linux-headers-9.9.3+deb13-common';
    const deb = buildDeb('headers', 'linux-headers-9.9.3+deb13-common', '9.9.3-1~bpo13+1', {
      [`${prefix}/Makefile`]: MAKEFILE(9, 9, 3),
      [`${prefix}/include/linux/lsm_hook_defs.h`]: HEADER,
    });
    const derived = deriveRelease(await readKernelDeb(deb));
    assert.equal(derived.release, '9.9.3');
    assert.equal(derived.sets, null);
    assert.equal(derived.hooks.length, 6);
    assert.match(derived.notes[0], /linux-headers-9\.9\.3\+deb13-common has no kernel\/bpf\/bpf_lsm\.c \(headers only\)/);
  });

  it('refuses other packages, missing files and a release its Makefile contradicts', async () => {
    const other = buildDeb('other', 'linux-image-9.9.3-amd64', '9.9.3-1', { 'boot/vmlinuz': 'x' });
    await assert.rejects(
      readKernelDeb(other),
      /linux-image-9\.9\.3-amd64 is neither a linux-source-X\.Y nor a linux-headers-ABI-common package/,
    );
    const noSets = sourceDeb('9.7', '9.7.1-1', { Makefile: MAKEFILE(9, 7, 1), 'include/linux/lsm_hook_defs.h': HEADER });
    await assert.rejects(
      readKernelDeb(noSets),
      /cannot extract .* from src-9\.7\.1-1\.deb \(\.\/usr\/src\/linux-source-9\.7\.tar\.xz\): tar .*Not found in archive/,
    );
    const wrong = sourceDeb('9.6', '9.6.2-1', {
      Makefile: MAKEFILE(9, 6, 1),
      'include/linux/lsm_hook_defs.h': HEADER,
      'kernel/bpf/bpf_lsm.c': BPF_LSM_C,
    });
    await assert.rejects(readKernelDeb(wrong), /its version and its Makefile disagree \(9\.6\.2 vs 9\.6\.1\); pass --release/);
    assert.equal((await readKernelDeb(wrong, '9.6.2')).release, '9.6.2');
    fs.writeFileSync(path.join(dir, 'broken.deb'), 'not a deb');
    await assert.rejects(
      readKernelDeb(path.join(dir, 'broken.deb')),
      /broken\.deb: .*(not a Debian format archive|unexpected end of file)/,
    );
  });

  it('reads a kernel tree', () => {
    const top = path.join(dir, 'tree');
    write(path.join(top, 'Makefile'), MAKEFILE(9, 9, 3));
    write(path.join(top, 'include/linux/lsm_hook_defs.h'), HEADER);
    write(path.join(top, 'kernel/bpf/bpf_lsm.c'), BPF_LSM_C);
    const derived = deriveRelease(readKernelTree(top));
    assert.equal(formatReleaseSource(derived.source), 'kernel tree v9.9.3');
    assert.deepEqual(derived.sets!.disabled, ['alpha_hook', 'key_hook']);
  });
});

// By series, so that a newer package of 7.2 or 7.3 with the same tables changes nothing here; one whose tables
// differ fails, and docs/kernel-frontier.md gets its lines (the generator prints them).
describe('the bundled Debian releases against 7.1.5', () => {
  const releases = storedReleases(JSON.parse(fs.readFileSync(TABLES_PATH, 'utf8')) as StoredTables);
  const get = (name: string) =>
    releases.find((r) => r.release === name || (r.source.kind === 'debian' && r.source.package === `linux-source-${name}`))!;

  it('7.2.x: inode_listsecurity takes a buffer pointer and the space left; bpf_prog_free is no longer sleepable', () => {
    assert.deepEqual(describeDifferences(get('7.1.5'), get('7.2')), [
      'prototype of inode_listsecurity (disabled): int inode_listsecurity(struct inode *inode, char *buffer, size_t buffer_size) -> ' +
        'int inode_listsecurity(struct inode *inode, char **buffer, ssize_t *remaining_size)',
      'bpf_prog_free left the sleepable set',
    ]);
  });

  it('7.3.x: the same table as 7.2.x', () => {
    assert.deepEqual(describeDifferences(get('7.2'), get('7.3')), []);
  });
});
