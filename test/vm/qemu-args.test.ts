// Fast checks (no VM) of what the manager hands QEMU and the kernel: the network stays on
// loopback and isolated, the only monitor is QMP on a unix socket, a restore's `-incoming` command
// quotes its path, and option values cannot smuggle in extra kernel parameters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAccel } from '../../vm/src/accel';
import { ImageManifest } from '../../vm/src/image';
import { describePackage } from '../../vm/src/image';
import { describeLsm, KERNEL_DEFAULT_LSM, KERNEL_SERIES, parseKernel, parseLsm } from '../../vm/src/kernels';
import { kernelCommandLine, qemuArgs, qmpArg, QemuOptions } from '../../vm/src/qemu';
import { incomingUri, outgoingUri, shellQuote } from '../../vm/src/snapshot';

const image: ImageManifest = {
  series: '6.12',
  release: '6.12.0-test',
  package: 'linux-image-test',
  packageVersion: '6.12.0-1',
  vmlinuz: '/cache/vmlinuz',
  initrd: '/cache/initramfs.cpio.gz',
  hostKeyPub: 'ssh-ed25519 AAAA',
  clientKey: '/cache/keys/client_ed25519',
};
const opts: QemuOptions = {
  name: 'unit',
  image,
  accel: 'tcg',
  sshPort: 40022,
  lsm: 'lockdown,yama,bpf',
  memoryMb: 1024,
  cpus: 2,
  lifetimeSeconds: 0,
  serialLog: '/x/serial.log',
  pidFile: '/x/qemu.pid',
  qemuLog: '/x/qemu.log',
  qmpSocket: '/x/qmp.sock',
};

function arg(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));
}

test('the only network is restricted user-mode with SSH forwarded from 127.0.0.1', () => {
  const args = qemuArgs(opts);
  assert.deepEqual(arg(args, '-netdev'), ['user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22']);
  assert.deepEqual(arg(args, '-device'), ['e1000,netdev=n0,romfile=']);
  assert.ok(!args.includes('-nic') && !args.includes('-net'));
});

test('the kernel gets the requested lsm= list and, when asked, a lifetime', () => {
  assert.equal(kernelCommandLine({ lsm: 'lockdown,yama', lifetimeSeconds: 0 }), 'console=ttyS0 lsm=lockdown,yama panic=-1');
  assert.match(kernelCommandLine({ lsm: 'bpf', lifetimeSeconds: 600 }), / bpflsmvm\.lifetime=600$/);
  assert.deepEqual(arg(qemuArgs({ ...opts, accel: 'tcg' }), '-accel'), ['tcg,thread=multi']);
  assert.deepEqual(arg(qemuArgs({ ...opts, accel: 'kvm' }), '-accel'), ['kvm']);
});

test("lsm 'default' boots with no lsm= parameter: the kernel's own CONFIG_LSM list", () => {
  assert.equal(kernelCommandLine({ lsm: KERNEL_DEFAULT_LSM, lifetimeSeconds: 0 }), 'console=ttyS0 panic=-1');
  assert.deepEqual(arg(qemuArgs({ ...opts, lsm: 'default' }), '-append'), ['console=ttyS0 panic=-1']);
  assert.equal(describeLsm('default'), "the kernel's default LSMs (no lsm=)");
  assert.equal(describeLsm('lockdown,bpf'), 'lsm=lockdown,bpf');
});

test('a kernel image names its exact Debian package version', () => {
  assert.equal(describePackage(image), 'linux-image-test 6.12.0-1');
  assert.equal(describePackage({ package: 'linux-image-old' }), 'linux-image-old (version not recorded)');
});

test('option parsing accepts the documented values and rejects the rest', () => {
  assert.equal(parseKernel(undefined), '6.12');
  assert.equal(parseKernel('6.1'), '6.1');
  assert.deepEqual(
    KERNEL_SERIES.map((k) => parseKernel(k)),
    ['6.12', '6.1', '7.2', '7.3'],
  );
  assert.equal(parseKernel('v7.3'), '7.3');
  assert.throws(() => parseKernel('5.15'), /unknown kernel '5.15': use 6.12, 6.1, 7.2, 7.3/);
  assert.throws(() => parseKernel('7.3.4'), /unknown kernel/);
  assert.equal(parseLsm('lockdown,yama'), 'lockdown,yama');
  assert.equal(parseLsm('default'), 'default');
  assert.throws(() => parseLsm('default,bpf'), /invalid --lsm/);
  assert.throws(() => parseLsm('bpf init=/bin/sh'), /invalid --lsm/);
  assert.throws(() => parseLsm(''), /invalid --lsm/);
  assert.equal(parseAccel(undefined), 'auto');
  assert.throws(() => parseAccel('hvf'), /unknown --accel/);
});

test('QMP on a unix socket is the only monitor; -incoming only for a restore', () => {
  const args = qemuArgs(opts);
  assert.deepEqual(arg(args, '-qmp'), ['unix:/x/qmp.sock,server=on,wait=off']);
  assert.ok(!args.includes('-monitor') && !args.includes('-mon') && !args.includes('-chardev'), 'no human monitor');
  assert.ok(!args.includes('-incoming'));
  assert.deepEqual(arg(qemuArgs({ ...opts, incoming: '/x/snapshot.vmstate' }), '-incoming'), ["exec:cat '/x/snapshot.vmstate'"]);
  // Everything else of a restore's command line is the boot's.
  assert.deepEqual(qemuArgs({ ...opts, incoming: '/x/s' }).slice(0, args.length), args);
});

test('paths in QEMU options and in the shell commands QEMU runs are quoted', () => {
  assert.equal(qmpArg('/a,b/qmp.sock'), 'unix:/a,,b/qmp.sock,server=on,wait=off');
  assert.throws(() => qmpArg(`/${'x'.repeat(120)}/qmp.sock`), /over the 107 a unix socket allows/);
  assert.equal(shellQuote("it's $(x)"), `'it'\\''s $(x)'`);
  assert.equal(incomingUri("/c/it's/snap"), `exec:cat '/c/it'\\''s/snap'`);
  // The file gets its final name only after cat has written all of it.
  assert.equal(outgoingUri('/c/snap'), "exec:cat > '/c/snap.writing' && mv -f '/c/snap.writing' '/c/snap.written'");
});
