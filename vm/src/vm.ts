// Command line for the BPF LSM test VM:
//   vm start [--kernel 6.12|6.1|7.2|7.3] [--lsm LIST|default] [--accel auto|kvm|tcg] [--name N] [--memory MB] [--lifetime S]
//            [--snapshot]        also snapshot the just-booted guest, for reset
//   vm snapshot [--name N]        snapshot the running guest now (replacing the last one)
//   vm reset [--name N]           back to the snapshot: a new QEMU loads it (works on a guest that hangs)
//   vm stop [--name N]            (deletes the snapshot)
//   vm status [--name N]          exit 0 running and answering, 1 running but not answering, 3 stopped
//   vm ssh [--name N] -- CMD...   run a command in the VM (stdin/stdout passed through)
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parseAccel } from './accel';
import { describePackage } from './image';
import { describeLsm, KERNEL_SERIES, parseKernel, parseLsm } from './kernels';
import { DEFAULT_NAME, resetVm, runningState, snapshotVm, startVm, stopVm, vmStatus } from './manager';
import { SnapshotInfo } from './snapshot';
import { SSH_HOST, sshCommandLine } from './ssh';
import { readState } from './state';

const USAGE = `usage: vm start [--kernel ${KERNEL_SERIES.join('|')}] [--lsm LIST|default] [--accel auto|kvm|tcg]
                [--name NAME] [--memory MB] [--lifetime SECONDS] [--snapshot]
                (--lsm default: no lsm= on the command line, the kernel's own LSM list)
       vm snapshot [--name NAME]
       vm reset [--name NAME]
       vm stop [--name NAME]
       vm status [--name NAME]
       vm ssh [--name NAME] -- COMMAND...`;

function positiveInt(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what} must be a whole number, got '${value}'`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: 'string' },
      lsm: { type: 'string' },
      accel: { type: 'string' },
      name: { type: 'string', default: DEFAULT_NAME },
      memory: { type: 'string' },
      lifetime: { type: 'string' },
      snapshot: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  const name = values.name!;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }

  switch (command) {
    case 'start': {
      const { state, session } = await startVm({
        name,
        kernel: parseKernel(values.kernel),
        lsm: parseLsm(values.lsm),
        accel: parseAccel(values.accel),
        memoryMb: positiveInt(values.memory, '--memory'),
        lifetimeSeconds: positiveInt(values.lifetime, '--lifetime'),
        snapshot: values.snapshot,
        log: (line) => console.error(`[vm] ${line}`),
      });
      const t = Date.now();
      await session.check(['true']);
      await session.close();
      console.log(`VM '${name}' running: kernel ${state.release}, ${describeLsm(state.lsm)}, ${state.accel}, pid ${state.pid}`);
      if (state.qemu) console.log(`package: ${describePackage(state.qemu.image)}`);
      console.log(`boot to SSH ready: ${state.bootSeconds.toFixed(1)} s; ssh round trip: ${((Date.now() - t) / 1000).toFixed(2)} s`);
      if (state.snapshot) console.log(`snapshot: ${snapshotLine(state.snapshot)} (npm run vm -- reset)`);
      console.log(`port: ${state.port}`);
      console.log(`ssh:  ${sshCommandLine(state.sshConfig)}`);
      return 0;
    }
    case 'snapshot': {
      const info = await snapshotVm(name);
      console.log(`VM '${name}' snapshot: ${snapshotLine(info)}`);
      return 0;
    }
    case 'reset': {
      const oldPid = readState(name)?.pid;
      const { state, session } = await resetVm(name, { log: (line) => console.error(`[vm] ${line}`) });
      await session.close();
      console.log(
        `VM '${name}' reset to its snapshot of ${state.snapshot!.takenAt} in ${state.resetSeconds!.toFixed(1)} s ` +
          `(QEMU pid ${oldPid} -> ${state.pid}, port ${state.port})`,
      );
      console.log(`ssh:  ${sshCommandLine(state.sshConfig)}`);
      return 0;
    }
    case 'stop': {
      const was = await stopVm(name);
      console.log(was ? `VM '${name}' stopped` : `VM '${name}' was not running`);
      return 0;
    }
    case 'status': {
      const s = await vmStatus(name);
      if (!s.running) {
        console.log(`VM '${name}' is not running`);
        return 3;
      }
      const st = s.state!;
      console.log(
        `VM '${name}' running (pid ${st.pid}, kernel ${st.release}, ${describeLsm(st.lsm)}, ${st.accel}, port ${st.port}): ` +
          (s.responsive ? `ssh answers in ${s.sshSeconds!.toFixed(2)} s` : 'NOT answering over ssh'),
      );
      if (st.qemu) console.log(`package: ${describePackage(st.qemu.image)}`);
      if (st.snapshot) {
        const resets = st.resets ? `; ${st.resets} reset(s), the last in ${st.resetSeconds!.toFixed(1)} s` : '';
        console.log(`snapshot: ${snapshotLine(st.snapshot)}${resets}`);
      }
      console.log(`ssh:  ${sshCommandLine(st.sshConfig)}`);
      return s.responsive ? 0 : 1;
    }
    case 'ssh': {
      if (rest.length === 0) throw new Error('vm ssh needs a command (interactive shells: use the printed ssh line)');
      // A person's own command, passed through as typed (stdin/stdout are the terminal's).
      const state = runningState(name);
      const r = spawnSync('ssh', ['-F', state.sshConfig, SSH_HOST, rest.join(' ')], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function snapshotLine(s: SnapshotInfo): string {
  return `${(s.bytes / 1e6).toFixed(0)} MB, written in ${(s.ms / 1000).toFixed(2)} s, ${s.file}`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`vm: ${err.message}`);
    process.exit(1);
  },
);
