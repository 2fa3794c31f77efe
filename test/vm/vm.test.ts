// End-to-end BPF LSM enforcement in a real kernel under QEMU: boot the test VM, compile a BPF LSM
// program against the guest's own BTF, attach it with lsm-loader, and check that the kernel denies
// exactly the file it targets while attached, and nothing once detached. Also boots without "bpf"
// in lsm= to show the kernel then reports no bpf LSM (and an attached program enforces nothing), and
// 7.3 without any lsm=, whose own CONFIG_LSM lists bpf, to show it enforces by default.
// Every step goes through the remote engine (engine/src), the VM's session being a target. One VM
// runs at a time.
//
// Needs QEMU, clang, bpftool and root for the image build: vm/setup.sh installs them (CI runs it).
// BPF_LSM_VM_KERNELS=6.12,6.1 (default: every kernel of KERNEL_SERIES) picks the kernels to run the
// enforcement suite on; the default-LSM boot runs when 7.3 is among them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SshConnection, SshError } from '../../engine/src/sshConnection';
import { parseTarget } from '../../engine/src/sshTarget';
import type { TargetSession } from '../../engine/src/targetSession';
import { describePackage, readManifest } from '../../vm/src/image';
import { KERNEL_DEFAULT_LSM, KERNEL_SERIES, KernelSeries, parseKernel } from '../../vm/src/kernels';
import { killVmNow, RunningVm, startVm, stopVm } from '../../vm/src/manager';
import { cacheDir } from '../../vm/src/paths';
import { vmTarget } from '../../vm/src/ssh';
import { REPO_ROOT } from '../helpers/paths';

const PROGRAM = path.join(REPO_ROOT, 'test', 'vm', 'fixtures', 'deny-open.bpf.c');
const KERNELS: KernelSeries[] = (process.env.BPF_LSM_VM_KERNELS ?? KERNEL_SERIES.join(',')).split(',').map((k) => parseKernel(k.trim()));
// Generous for software emulation on a loaded 2-core machine; a boot normally takes 8-15 s.
const BOOT_TIMEOUT_MS = 240_000;
// If this process dies without its after() hook, the guest still powers itself off.
const LIFETIME_SECONDS = 900;
const WORK = '/tmp/lsmtest';

// after() hooks stop the VMs; an interrupted run (Ctrl-C, test runner timeout) kills them here.
const started = new Set<string>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const name of started) killVmNow(name, { forget: true });
    process.exit(130);
  });
}

/** A VM name unique to this run, so the suite never touches a VM someone started by hand. */
function vmName(tag: string): string {
  const name = `test-${tag}-${process.pid}`;
  started.add(name);
  return name;
}

/** Test files with names no one else uses: only these can ever be blocked. */
function testFiles() {
  const token = randomBytes(6).toString('hex');
  return { secret: `lsm-test-secret-${token}`, other: `lsm-test-other-${token}` };
}

async function catInVm(target: TargetSession, file: string) {
  const r = await target.exec(['cat', `${WORK}/${file}`], { timeoutMs: 30_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** Builds deny-open.bpf.c for this guest kernel with the given target name; returns the path in the VM. */
async function buildAndCopyProgram(vm: RunningVm, secret: string): Promise<string> {
  const compiled = await vm.session.compile(PROGRAM, { defines: { SECRET_NAME: secret } });
  return vm.session.deploy(compiled.object, `${WORK}/deny-open.bpf.o`);
}

async function createTestFiles(target: TargetSession, files: { secret: string; other: string }): Promise<void> {
  await target.check([
    'sh',
    '-c',
    `mkdir -p ${WORK} && echo secret-content > ${WORK}/${files.secret} && echo other-content > ${WORK}/${files.other}`,
  ]);
}

/** Polls until the program is gone from the kernel (freed after its last link and fd close). */
async function waitProgramGone(target: TargetSession): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    // bpftool exits 255 without a word when nothing matches, which reads like ssh failing: hence `|| true`.
    const r = await target.shell('bpftool prog show name deny_secret_open || true');
    if (r.stdout.trim() === '') return true;
    await sleep(200);
  }
  return false;
}

const DENY_SECRET_OPEN = [{ name: 'deny_secret_open', section: 'lsm/file_open' }];

/** Boots a VM and says which kernel package it runs and how long the boot took. */
async function bootVm(name: string, kernel: KernelSeries, lsm?: string): Promise<RunningVm> {
  const vm = await startVm({ name, kernel, lsm, lifetimeSeconds: LIFETIME_SECONDS, bootTimeoutMs: BOOT_TIMEOUT_MS });
  const t = Date.now();
  await vm.session.check(['true']);
  const rtt = (Date.now() - t) / 1000;
  console.log(
    `${kernel}: ${vm.state.release} (${describePackage(vm.state.qemu!.image)}, ${vm.state.accel}${lsm ? `, lsm ${lsm}` : ''}) ` +
      `ssh-ready in ${vm.state.bootSeconds.toFixed(1)} s, ssh round trip ${rtt.toFixed(2)} s`,
  );
  return vm;
}

async function activeLsms(vm: RunningVm): Promise<string[]> {
  return (await vm.session.check(['cat', '/sys/kernel/security/lsm'])).trim().split(',');
}

/** deny-open.bpf.c attached: the target is denied (with a trace line), another file is not; detached: nothing is. */
async function checkEnforcement(vm: RunningVm): Promise<void> {
  const ssh = vm.session;
  const files = testFiles();
  await createTestFiles(ssh, files);
  assert.equal((await catInVm(ssh, files.secret)).code, 0, 'the target opens before the program is loaded');
  const remoteObj = await buildAndCopyProgram(vm, files.secret);
  await ssh.check(['sh', '-c', 'echo > /sys/kernel/tracing/trace']); // drop older trace lines

  const session = await ssh.attach(remoteObj);
  let detached = false;
  try {
    assert.deepEqual(session.attached, DENY_SECRET_OPEN);

    const denied = await catInVm(ssh, files.secret);
    assert.notEqual(denied.code, 0, `cat of the target succeeded while the program was attached: ${denied.stdout}`);
    assert.match(denied.stderr, /Operation not permitted/);

    const other = await catInVm(ssh, files.other);
    assert.equal(other.code, 0, `cat of another file failed: ${other.stderr}`);
    assert.equal(other.stdout.trim(), 'other-content');

    const trace = await ssh.shell(`timeout 10 grep -m1 'bpf-lsm-studio: denied open of ${files.secret}' /sys/kernel/tracing/trace_pipe`, {
      timeoutMs: 30_000,
    });
    assert.equal(trace.exitCode, 0, 'bpf_printk line not seen in trace_pipe');
    assert.match(trace.stdout, /bpf_trace_printk: bpf-lsm-studio: denied open of lsm-test-secret-/);

    assert.notEqual((await ssh.check(['bpftool', 'prog', 'show', 'name', 'deny_secret_open'])).trim(), '');

    const code = await session.detach();
    detached = true;
    assert.equal(code, 0, `lsm-loader exit status; output:\n${session.output}`);
    assert.match(session.output, /^detached$/m);
  } finally {
    if (!detached) await session.detach();
  }

  const reopened = await catInVm(ssh, files.secret);
  assert.equal(reopened.code, 0, `the target still fails after detach: ${reopened.stderr}`);
  assert.equal(reopened.stdout.trim(), 'secret-content');
  assert.ok(await waitProgramGone(ssh), 'the program is still loaded after its loader exited');
}

for (const kernel of KERNELS) {
  describe(`BPF LSM enforcement on Linux ${kernel} (QEMU)`, () => {
    const name = vmName(`enforce-${kernel.replace('.', '')}`);
    let vm: RunningVm | undefined;

    before(async () => {
      vm = await bootVm(name, kernel);
    });

    after(async () => {
      await stopVm(name, { forget: true });
    });

    test('booted with our lsm= line, the kernel lists bpf among its active LSMs', async () => {
      // vm/src/kernels.ts's DEFAULT_LSM, written out: a change there must show here.
      assert.match(await vm!.session.check(['cat', '/proc/cmdline']), /(^| )lsm=lockdown,yama,integrity,apparmor,bpf( |$)/);
      const lsm = await activeLsms(vm!);
      assert.ok(lsm.includes('bpf'), `bpf missing from /sys/kernel/security/lsm: ${lsm.join(',')}`);
    });

    test('an attached program denies opening its target, leaves other files alone, and stops when detached', async () => {
      await checkEnforcement(vm!);
    });

    test('a dropped ssh connection detaches the program', async () => {
      const ssh = vm!.session;
      const files = testFiles();
      await createTestFiles(ssh, files);
      const remoteObj = await buildAndCopyProgram(vm!, files.secret);
      const session = await ssh.attach(remoteObj);
      try {
        assert.notEqual((await catInVm(ssh, files.secret)).code, 0, 'not denied while attached');
      } finally {
        // The loader's ssh client dies without closing stdin: the guest only sees its session go away.
        session.kill();
      }
      let code: number | undefined = 1;
      for (let i = 0; i < 50 && code !== 0; i++) {
        code = (await catInVm(ssh, files.secret)).code;
        if (code !== 0) await sleep(200);
      }
      assert.equal(code, 0, 'the target is still denied after the loader connection dropped');
      assert.ok(await waitProgramGone(ssh), 'the program is still loaded after its connection dropped');
    });
  });
}

/** CONFIG_LSM of the kernel image a VM booted (its config, kept in the VM cache by fetch-kernel.sh). */
function configuredLsms(vm: RunningVm): string[] {
  const dir = path.join(cacheDir(), 'kernels', vm.state.kernel);
  assert.equal(fs.readFileSync(path.join(dir, 'release'), 'utf8').trim(), vm.state.release, 'the cached kernel is the one booted');
  const value = /^CONFIG_LSM="([^"]*)"$/m.exec(fs.readFileSync(path.join(dir, 'config'), 'utf8'))?.[1];
  assert.ok(value !== undefined, `no CONFIG_LSM in ${dir}/config`);
  return value.split(',');
}

// Debian's 7.3 (trixie-backports) lists bpf in CONFIG_LSM: with no lsm= at all, BPF LSM programs enforce.
if (KERNELS.includes('7.3')) {
  describe("Linux 7.3 booted with the kernel's own LSM list (no lsm=)", () => {
    const name = vmName('default-lsm-73');
    let vm: RunningVm | undefined;

    before(async () => {
      vm = await bootVm(name, '7.3', KERNEL_DEFAULT_LSM);
    });

    after(async () => {
      await stopVm(name, { forget: true });
    });

    test('no lsm= on the command line, and bpf is active because CONFIG_LSM names it', async () => {
      const cmdline = (await vm!.session.check(['cat', '/proc/cmdline'])).trim();
      assert.doesNotMatch(cmdline, /(^| )lsm=/, `the kernel got an lsm= parameter: ${cmdline}`);
      const configured = configuredLsms(vm!);
      assert.ok(configured.includes('bpf'), `bpf is not in ${readManifest('7.3').package}'s CONFIG_LSM: ${configured.join(',')}`);
      const lsm = await activeLsms(vm!);
      assert.ok(lsm.includes('bpf'), `bpf missing from /sys/kernel/security/lsm: ${lsm.join(',')}`);
    });

    test('an attached program denies opening its target, leaves other files alone, and stops when detached', async () => {
      await checkEnforcement(vm!);
    });
  });
}

/**
 * Booted with lsm=lockdown,yama: the active LSMs each kernel lists (lockdown first, as an early LSM; ima and
 * evm are LSMs from 6.9 on), and the lsm= to suggest.
 */
const LOCKDOWN_YAMA: Record<KernelSeries, { lsms: string; expected: string }> = {
  '6.1': { lsms: 'lockdown,capability,yama', expected: 'lsm=lockdown,yama,bpf' },
  '6.12': { lsms: 'lockdown,capability,yama,ima,evm', expected: 'lsm=lockdown,yama,ima,evm,bpf' },
  '7.2': { lsms: 'lockdown,capability,yama,ima,evm', expected: 'lsm=lockdown,yama,ima,evm,bpf' },
  '7.3': { lsms: 'lockdown,capability,yama,ima,evm', expected: 'lsm=lockdown,yama,ima,evm,bpf' },
};

describe('a boot with an lsm= list that lacks bpf', () => {
  const name = vmName('nobpf');
  let vm: RunningVm | undefined;

  before(async () => {
    vm = await startVm({
      name,
      kernel: KERNELS[0],
      lsm: 'lockdown,yama',
      lifetimeSeconds: LIFETIME_SECONDS,
      bootTimeoutMs: BOOT_TIMEOUT_MS,
    });
  });

  after(async () => {
    await stopVm(name, { forget: true });
  });

  test('bpf is absent from /sys/kernel/security/lsm', async () => {
    const lsm = (await vm!.session.check(['cat', '/sys/kernel/security/lsm'])).trim();
    assert.ok(lsm.split(',').includes('lockdown'), `expected the requested LSMs, got: ${lsm}`);
    assert.ok(!lsm.split(',').includes('bpf'), `bpf listed although lsm= left it out: ${lsm}`);
  });

  test("Run on Target's preflight warns before attaching, with the exact lsm= line to boot with", async () => {
    {
      const report = await vm!.session.preflight(true);
      const active = (await vm!.session.check(['cat', '/sys/kernel/security/lsm'])).trim();
      // The target's own list, in its order, without the implicit capability, plus bpf.
      const { lsms, expected } = LOCKDOWN_YAMA[KERNELS[0]];
      assert.equal(active, lsms);
      assert.equal(report.bpfActive, false);
      assert.deepEqual(report.blockers, []);
      assert.equal(report.suggestedLsmParameter, expected);
      assert.ok(
        report.warnings[0].startsWith(
          `bpf is not an active LSM on this target (${active}): programs will attach but enforce nothing. Boot the target with ${expected}`,
        ),
        report.warnings[0],
      );
    }
  });

  test('ssh checks the guest against the pinned host key', async () => {
    // Same config with a known_hosts naming another key: ssh must refuse, not trust on first use.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-vm-hostkey-'));
    try {
      const { execa } = await import('execa');
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
      const otherKey = fs.readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
      fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${vm!.state.port} ${otherKey}\n`);
      const config = fs
        .readFileSync(vm!.state.sshConfig, 'utf8')
        .replace(/UserKnownHostsFile .*/, `UserKnownHostsFile ${path.join(dir, 'known_hosts')}`);
      fs.writeFileSync(path.join(dir, 'ssh_config'), config);
      const conn = new SshConnection(parseTarget(vmTarget(path.join(dir, 'ssh_config'))));
      try {
        await assert.rejects(conn.run(['true'], { timeoutMs: 30_000 }), (e: Error) => {
          assert.ok(
            e instanceof SshError && (e.kind === 'changed-host-key' || e.kind === 'unknown-host-key'),
            `ssh accepted a host key it was not given: ${e.message}`,
          );
          assert.match(e.result?.stderr ?? '', /host key/i);
          return true;
        });
      } finally {
        await conn.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an LSM program still attaches but enforces nothing', async () => {
    const ssh = vm!.session;
    const files = testFiles();
    await createTestFiles(ssh, files);
    const remoteObj = await buildAndCopyProgram(vm!, files.secret);
    const session = await ssh.attach(remoteObj);
    try {
      assert.deepEqual(session.attached, DENY_SECRET_OPEN);
      const r = await catInVm(ssh, files.secret);
      assert.equal(r.code, 0, `denied although the bpf LSM is not active: ${r.stderr}`);
    } finally {
      await session.detach();
    }
  });
});
