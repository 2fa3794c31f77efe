// A probed kernel as the analysis uses it (server/src/hooks/probedKernel.ts): the facts file that
// `bpf-lsm-lint --probe-target DEST --save-facts FILE` writes (real ones, from the test VM's Debian 6.12
// and 6.1), the target it gives (TableSource 'probed'), resolveTarget, the CLI's --facts and its usage
// errors, and the language server's hover once Run on Target sent what the target's kernel said.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TargetKernelNotification } from '../../common/protocol';
import { btfHookTable } from '../../server/src/btf/btfCache';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { hookStatus } from '../../server/src/hooks/hookFacts';
import {
  FactsError,
  factsFileText,
  parseFactsFile,
  probedHookOf,
  probedKernel,
  probedTarget,
  readFactsFile,
} from '../../server/src/hooks/probedKernel';
import { resolveTarget } from '../../server/src/hooks/resolveTarget';
import { describeTableSource } from '../../server/src/hooks/tableSource';
import { LspTestClient } from '../lsp/lspClient';
import { main } from '../../server/src/cli/lint';
import { runMain } from '../helpers/cliMain';
import { BtfWriter } from '../helpers/btfWriter';
import { FIXTURES, skipIfMissing } from '../helpers/paths';

const FACTS_612 = path.join(FIXTURES, 'prober', '6.12.facts.json');
const FACTS_61 = path.join(FIXTURES, 'prober', '6.1.facts.json');
const catalog = HookCatalog.bundled();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-prober-facts-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** bpf-lsm-lint's main() in this process (cli.test.ts runs the built linter as a process). */
async function lint(...args: string[]) {
  const r = await runMain(main, args);
  return { status: r.code, stdout: r.out, stderr: r.err };
}

describe('the facts file', () => {
  const text = fs.readFileSync(FACTS_612, 'utf8');
  const kernel = parseFactsFile(text);

  it('holds whose kernel, when, the prototypes from its BTF and lsm-probe’s output', () => {
    assert.equal(kernel.target, 'bpf-lsm-vm');
    assert.match(kernel.probedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(kernel.probe.release, '6.12.117+deb12-amd64');
    assert.equal(kernel.hooks.length, kernel.probe.hooks.length);
    assert.deepEqual(
      kernel.hooks.find((h) => h.name === 'file_open'),
      { name: 'file_open', ret: 'int', defaultValue: '', args: [{ type: 'struct file *', name: 'file' }], condition: null },
    );
  });

  it('is written the same way it is read (one line per prototype and per hook, so kernels diff well)', () => {
    assert.equal(factsFileText(kernel), text);
    assert.equal(factsFileText(parseFactsFile(fs.readFileSync(FACTS_61, 'utf8'))), fs.readFileSync(FACTS_61, 'utf8'));
    assert.ok(text.split('\n').length > 500);
  });

  it('is refused with the reason when it is not one, another version, or a file that cannot be read', () => {
    const o = JSON.parse(text) as Record<string, unknown>;
    const refused = (value: unknown, message: RegExp) =>
      assert.throws(
        () => parseFactsFile(JSON.stringify(value)),
        (e: Error) => e instanceof FactsError && message.test(e.message),
      );
    refused({ ...o, format: 'x' }, /^is not a hook facts file \(no "format": "bpf-lsm-studio\/hook-facts"\)$/);
    refused({ ...o, version: 2 }, /has version 2; this version of BPF LSM Studio reads version 1: probe the target again/);
    refused({ ...o, prototypes: [['file_open', 'int']] }, /has a prototype that is not \[name, return type/);
    refused({ ...o, prototypes: (o.prototypes as unknown[]).slice(1) }, /the probed hooks audit_rule_free have no prototype in the BTF/);
    refused({ ...o, probe: { ...(o.probe as object), version: 9 } }, /lsm-probe's output has version 9/);
    assert.throws(() => parseFactsFile('{'), /is not JSON/);
    assert.throws(() => readFactsFile(tmp), /is a directory, not a hook facts file/);
  });

  it('joins a probe only with the BTF of the kernel it probed', () => {
    const btf = { hooks: kernel.hooks, checksum: '0'.repeat(64) };
    assert.throws(
      () => probedKernel(kernel.output, btf, 'vm'),
      /^Error: the BTF \(SHA-256 000000000000…\) is not the probed kernel's \(e0e6430bf6dd…\)$/,
    );
    const joined = probedKernel(kernel.output, { ...btf, checksum: kernel.probe.btfChecksum }, 'vm', kernel.probedAt);
    assert.deepEqual(joined.hooks, kernel.hooks);
  });
});

describe('the target a probed kernel gives', () => {
  const kernel = readFactsFile(FACTS_612);
  const target = probedTarget(kernel, catalog, FACTS_612);

  it('is the probed kernel’s, called by its name, with the rules of its release', () => {
    assert.deepEqual(target.source, { kind: 'probed', release: '6.12.117+deb12-amd64', label: 'bpf-lsm-vm', path: FACTS_612 });
    assert.equal(describeTableSource(target.source), 'probed on bpf-lsm-vm (6.12.117+deb12-amd64)');
    assert.equal(target.release, '6.12');
    assert.equal(target.hooks.size, 266);
    assert.match(
      target.note!,
      /^hooks and their disabled, sleepable and bool sets probed on bpf-lsm-vm \(6\.12\.117\+deb12-amd64, \d{4}-\d\d-\d\d\); other rules of 6\.12$/,
    );
  });

  it('has the kernel’s own sets where they differ from its release’s sources (Debian backports)', () => {
    // 6.12's bpf_lsm.c lists bpf_prog_free as sleepable; Debian's 6.12.111 dropped it (a stable fix, which
    // the bundled 6.12 target now folds in too).
    assert.equal(hookStatus('bpf_prog_free', target).sleepable, false);
    assert.ok(catalog.releases.find((r) => r.release === '6.12')?.sets?.sleepable.includes('bpf_prog_free'));
    assert.equal(hookStatus('bpf_prog_free', catalog.target({ kernel: '6.12' }).target).sleepable, false);
    assert.equal(hookStatus('xfrm_decode_session', target).disabled, true);
    assert.equal(hookStatus('audit_rule_known', target).returns, 'bool');
    // The sets the probe cannot see come from the release.
    assert.deepEqual(target.sets.current, ['sk_alloc_security', 'sk_free_security']);
  });

  it('keeps what the kernel said of each hook, for hovers', () => {
    assert.deepEqual(probedHookOf(target, 'file_open')?.lsm, [0, -1]);
    assert.equal(probedHookOf(catalog.target({ kernel: '6.12' }).target, 'file_open'), undefined);
  });

  it('lacks the hooks compiled out of that kernel', () => {
    // Debian builds 6.12 without CONFIG_SECURITY_INFINIBAND: 6.12's ib_* hooks are not in its BTF.
    assert.ok(catalog.select('6.12').table.hooks.has('ib_pkey_access'));
    assert.ok(!target.hooks.has('ib_pkey_access'));
  });
});

describe('resolveTarget with a probed kernel', () => {
  it('takes a facts file in place of the kernel, the header and the BTF', () => {
    const { target, problems } = resolveTarget({ factsPath: FACTS_61, kernel: '7.0' }, catalog);
    assert.deepEqual(problems, []);
    assert.equal(target.source.kind, 'probed');
    assert.equal(target.release, '6.1.20');
  });

  it('says why a facts file cannot be used and goes on with the rest of the request', () => {
    const bad = path.join(tmp, 'bad.facts.json');
    fs.writeFileSync(bad, '{"format":"bpf-lsm-studio/hook-facts","version":0}');
    const { target, problems } = resolveTarget({ factsPath: bad, kernel: '6.12' }, catalog);
    assert.deepEqual(problems, [
      {
        kind: 'facts-unusable',
        path: bad,
        reason:
          'has version 0; this version of BPF LSM Studio reads version 1: probe the target again (--probe-target DEST --save-facts FILE)',
      },
    ]);
    assert.deepEqual(target.source, { kind: 'bundled', release: '6.12' });
  });
});

describe('bpf-lsm-lint with a probed kernel', () => {
  const source = path.join(tmp, 'probed.bpf.c');
  fs.writeFileSync(
    source,
    [
      '#include "vmlinux.h"',
      '#include <bpf/bpf_helpers.h>',
      '#include <bpf/bpf_tracing.h>',
      'char LICENSE[] SEC("license") = "GPL";',
      'SEC("lsm.s/bpf_prog_free")',
      'int BPF_PROG(on_free, struct bpf_prog *prog) { return 0; }',
      '',
    ].join('\n'),
  );

  it('--facts checks against the kernel as probed, and says so', async () => {
    const r = await lint('--facts', FACTS_612, source);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /error: 'bpf_prog_free' is not a sleepable hook in kernel 6\.12 .*\[not-sleepable\]/);
    assert.match(r.stderr, /^note: hooks and their disabled, sleepable and bool sets probed on bpf-lsm-vm \(6\.12\.117\+deb12-amd64, /m);
    // 7.1.5's bpf_lsm.c still lets it sleep (the fix reached 7.2 and the stable series, which the bundled
    // 6.12 target folds in).
    assert.equal((await lint('--kernel', '7.1.5', source)).status, 0);
    assert.equal((await lint('--kernel', '6.12', source)).status, 1);
  });

  it('refuses --facts and --probe-target with another hook table, and their options alone (exit 2)', async () => {
    const usage = async (args: string[], message: string) => {
      const r = await lint(...args, source);
      assert.deepEqual([r.status, r.stdout, r.stderr], [2, '', `bpf-lsm-lint: ${message}\n`], args.join(' '));
    };
    await usage(
      ['--facts', FACTS_612, '--btf', '/sys/kernel/btf/vmlinux'],
      '--facts gives the hook table and the kernel (as probed); --btf cannot be combined with it',
    );
    await usage(
      ['--facts', FACTS_612, '--hook-defs', 'x.h'],
      '--facts gives the hook table and the kernel (as probed); --hook-defs cannot be combined with it',
    );
    await usage(
      ['--facts', FACTS_612, '--kernel', '6.12'],
      '--facts gives the hook table and the kernel (as probed); --kernel cannot be combined with it',
    );
    await usage(
      ['--probe-target', 'vm', '--facts', FACTS_612],
      '--probe-target gives the hook table and the kernel (as probed); --facts cannot be combined with it',
    );
    await usage(
      ['--probe-target', 'vm', '--btf', 'x'],
      '--probe-target gives the hook table and the kernel (as probed); --btf cannot be combined with it',
    );
    await usage(['--save-facts', 'out.json'], '--save-facts goes with --probe-target DEST');
    await usage(['--ssh-config', 'cfg'], '--ssh-config goes with --probe-target DEST');
    await usage(['--sudo'], '--sudo goes with --probe-target DEST');
    await usage(['--probe-target', ' '], '--probe-target needs an ssh destination (user@host, user@host:port or an alias)');
    await usage(['--facts', ''], '--facts needs a file name');
    await usage(['--probe-target', 'vm', '--save-facts', ''], '--save-facts needs a file name');
    await usage(['--config', ''], '--config needs a file name');
    await usage(['--kernel', ' '], '--kernel needs a release such as 6.12 or 6.1.20 (it was given an empty one)');
    await usage(['--kernel', '6.12', '--sudo'], '--sudo goes with --probe-target DEST');
  });

  it('says why a facts file cannot be used (exit 2)', async () => {
    const r = await lint('--facts', path.join(tmp, 'missing.json'), source);
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `bpf-lsm-lint: --facts ${path.join(tmp, 'missing.json')}: no such file`);
  });

  it('--probe-target with neither files nor --save-facts has nothing to do', async () => {
    const r = await lint('--probe-target', 'vm');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^bpf-lsm-lint: no files given \(and no --save-facts FILE for what the probe finds\)\nusage: bpf-lsm-lint /);
  });

  it('--probe-target says why a target cannot be probed (exit 2), and writes no facts', async () => {
    const config = path.join(tmp, 'ssh_config');
    // A port nothing listens on, in batch mode: ssh fails at once.
    fs.writeFileSync(config, 'Host nowhere\n  HostName 127.0.0.1\n  Port 9\n  BatchMode yes\n  ConnectTimeout 5\n');
    const facts = path.join(tmp, 'never.facts.json');
    const r = await lint('--probe-target', 'nowhere', '--ssh-config', config, '--save-facts', facts);
    assert.deepEqual([r.status, r.stdout], [2, '']);
    // ssh's own words (here: connect to host 127.0.0.1 port 9: Connection refused) vary with its version.
    assert.match(r.stderr, /^bpf-lsm-lint: --probe-target nowhere: ssh could not reach nowhere: ssh: [^\n]+\n$/);
    assert.ok(!fs.existsSync(facts));
  });
});

/**
 * lsm-probe's 6.12 output remade for `btf` (its hooks those the BTF has, its checksum the BTF's), written
 * to the test's folder: what Run on Target sends the language server, without a target.
 */
function probeFor(btf: string): string {
  const data = fs.readFileSync(btf);
  const btfHooks = new Set(btfHookTable(data).hooks.map((h) => h.name));
  const probe = JSON.parse(fs.readFileSync(FACTS_612, 'utf8')).probe as { hooks: { name: string }[] };
  probe.hooks = probe.hooks.filter((h) => btfHooks.has(h.name));
  Object.assign(probe, { btf_sha256: createHash('sha256').update(data).digest('hex'), btf_bytes: data.length });
  const file = path.join(tmp, `${path.basename(btf)}.probe.json`);
  fs.writeFileSync(file, JSON.stringify(probe));
  return file;
}

/** The hover of a probed target, over the BTF `btfPath()` gives (a crafted one, or this machine's kernel's). */
function probedTargetHover(title: string, btfPath: () => string, options: { skip?: string | false } = {}) {
  describe(title, options, () => {
    let lsp: LspTestClient;
    let btf: string;
    let probePath: string;
    before(async () => {
      btf = btfPath();
      probePath = probeFor(btf);
      lsp = await LspTestClient.start();
    });
    after(() => lsp?.stop());

    it('hovers with "probed on <target>" and what the kernel said, once Run on Target sent the probe', async () => {
      const uri = 'file:///probed/hover.bpf.c';
      const text = 'SEC("lsm/file_open")\nint BPF_PROG(on_open, struct file *file, int ret) { return 0; }\n';
      await lsp.open(uri, text);
      const hover = async () => ((await lsp.hover(uri, 0, 12))!.contents as { value: string }).value;
      const params = { btfPath: btf, release: '6.12.117+deb12-amd64', label: 'vm' };
      await lsp.connection.sendNotification(TargetKernelNotification.method, params);
      await waitFor(async () => (await hover()).includes('BTF of vm'));
      await lsp.connection.sendNotification(TargetKernelNotification.method, { ...params, probePath });
      await waitFor(async () => (await hover()).includes('probed on vm'));
      const value = await hover();
      assert.match(value, /\*\*file_open\*\*: LSM hook \(kernel 6\.12, probed on vm \(6\.12\.117\+deb12-amd64\)\)/);
      assert.match(
        value,
        /- Probed on vm \(6\.12\.117\+deb12-amd64\): `lsm\/` loads returning 0, -1; `lsm\.s\/` loads; `lsm_cgroup\/` loads returning 0, 1/,
      );
    });

    it('says when the probe is not of that BTF, and keeps the BTF', async () => {
      const other = path.join(tmp, `other-probe-${path.basename(btf)}.json`);
      fs.writeFileSync(other, JSON.stringify(JSON.parse(fs.readFileSync(FACTS_61, 'utf8')).probe));
      await lsp.connection.sendNotification(TargetKernelNotification.method, {
        btfPath: btf,
        release: '6.1.0-57-amd64',
        label: 'vm61',
        probePath: other,
      });
      await waitFor(async () => lsp.messages.some((m) => m.message.includes(other)));
      assert.match(
        lsp.messages.find((m) => m.message.includes(other))!.message,
        /^What the target's kernel said about its hooks \(.*other-probe-.*\.json\) cannot be used: the BTF \(SHA-256 [0-9a-f]{12}…\) is not the probed kernel's \(88df2a148142…\)\. Its BTF and the rules of its release are used\.$/,
      );
      await waitFor(async () =>
        ((await lsp.hover('file:///probed/hover.bpf.c', 0, 12))!.contents as { value: string }).value.includes('BTF of vm61'),
      );
    });
  });
}

/** A kernel's BTF with the one hook the hover asks about: bpf_lsm_file_open(struct file *file). */
function craftedBtf(): string {
  const w = new BtfWriter();
  w.func('bpf_lsm_file_open', w.proto(w.int('int'), [['file', w.ptr(w.struct('file'))]]));
  const file = path.join(tmp, 'crafted.btf');
  fs.writeFileSync(file, w.bytes());
  return file;
}

probedTargetHover('the language server with a probed target (a crafted BTF)', craftedBtf);
// The same over this machine's kernel's BTF (5 MB): real input, left out of the mutation run for its time.
const HOST_BTF = '/sys/kernel/btf/vmlinux';
probedTargetHover("the language server with a probed target (this machine's kernel's BTF)", () => HOST_BTF, {
  skip: skipIfMissing(fs.existsSync(HOST_BTF), HOST_BTF),
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
