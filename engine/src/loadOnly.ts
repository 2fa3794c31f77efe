// What `lsm-loader --load-only` prints, parsed: each program of an object loaded on its own (the verifier
// runs, nothing is attached, nothing stays loaded), with the kernel's verdict per program. Pure, so that
// the unit tests feed it what real kernels printed.
import { parseLoadFailure, type VerifierFailure } from './attachSession';

export interface LoadedProgram {
  name: string;
  section: string;
  loaded: true;
  /** Instructions after the kernel's rewrites (xlated), and those the verifier processed. */
  insns?: number;
  verifiedInsns?: number;
  /** The verifier's log, when a log level was asked for. */
  log?: string;
}

export interface RejectedProgram {
  name: string;
  section: string;
  loaded: false;
  /** The errno libbpf returned (EACCES: the verifier; EINVAL, ESRCH: libbpf or the kernel before it). */
  errno: number;
  failure: VerifierFailure;
}

export type ProgramLoad = LoadedProgram | RejectedProgram;

/** The loader's command line for a load without attaching; `logLevel` is the verifier's (0 to 7). */
export function loadOnlyArgv(loader: string, remoteObject: string, logLevel?: number): string[] {
  return [loader, '--load-only', ...(logLevel !== undefined ? ['--log-level', String(logLevel)] : []), remoteObject];
}

/** The verifier's log of a program that loaded (printed only when a log level was asked for). */
function successLog(said: string): string | undefined {
  const log = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)\n?-- END PROG LOAD LOG --/.exec(said)?.[1];
  return log === undefined ? undefined : log.replace(/\n$/, '');
}

/** What the loader's stderr says about each program: it starts each program with "lsm-loader: program NAME SECTION". */
function stderrByProgram(stderr: string): Map<string, string> {
  const parts = new Map<string, string>();
  const marks = [...stderr.matchAll(/^lsm-loader: program (\S+) \S+$/gm)];
  marks.forEach((m, i) => {
    const from = m.index + m[0].length + 1;
    parts.set(m[1], stderr.slice(from, i + 1 < marks.length ? marks[i + 1].index : undefined));
  });
  return parts;
}

/**
 * Per-program results, in the object's order; undefined when the loader reported no program at all
 * (it could not open the object, the object has none, or the loader is not one with --load-only).
 */
export function parseLoadOnly(stdout: string, stderr: string): ProgramLoad[] | undefined {
  const said = stderrByProgram(stderr);
  const programs: ProgramLoad[] = [];
  for (const m of stdout.matchAll(/^(loaded|rejected) (\S+) (\S+)(?: (.*))?$/gm)) {
    const [, verdict, name, section, rest = ''] = m;
    const about = said.get(name) ?? '';
    if (verdict === 'loaded') {
      const insns = /\binsns=(\d+)/.exec(rest)?.[1];
      const verified = /\bverified_insns=(\d+)/.exec(rest)?.[1];
      const log = successLog(about);
      programs.push({
        name,
        section,
        loaded: true,
        ...(insns !== undefined && { insns: Number(insns) }),
        ...(verified !== undefined && { verifiedInsns: Number(verified) }),
        ...(log !== undefined && { log }),
      });
    } else {
      const failure = parseLoadFailure(about);
      programs.push({ name, section, loaded: false, errno: Number(rest) || 0, failure: { ...failure, program: failure.program ?? name } });
    }
  }
  return programs.length > 0 ? programs : undefined;
}
