// A verifier log read for the editor: the statistics line, the kernel's own timing, the message it
// refused with, and the instructions of the failing path with the source line each belongs to. Pure,
// so that the unit tests feed it what real kernels printed. Kernels from 6.2 on annotate source as
// `; <text> @ file:line`; 6.1 prints `; <text>` alone, and the caller resolves those through the
// object's BTF line info (btfLineInfo.ts).

/** One instruction of the path the verifier walked, with the `;` annotation in force when it printed it. */
export interface PathInsn {
  /** The instruction's index in the program, as the verifier numbers it. */
  index: number;
  /** The disassembly (`r0 = -r0`, `call bpf_map_lookup_elem#1`, `exit`). */
  text: string;
  /** The source annotation before it: its text, and `file:line` where the kernel printed one. */
  source?: SourceAnnotation;
  /** The log's line (0-based) where the instruction is printed. */
  logLine: number;
}

export interface SourceAnnotation {
  text: string;
  file?: string;
  line?: number;
}

export interface VerifierStats {
  /** Instructions the verifier processed ("processed N insns"). */
  insns: number;
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
}

export interface ParsedVerifierLog {
  stats?: VerifierStats;
  /** "verification time N usec" (printed with log level 4, BPF_LOG_STATS). */
  timeUsec?: number;
  /** The verifier's own last message (a refusal's reason); undefined when it has none (a success). */
  message?: string;
  /** The instructions of the walked path, in order (for a refusal, the failing path at level 1). */
  path: PathInsn[];
  /** The instruction the verifier stopped at: the last of the path, when a message follows it. */
  failing?: PathInsn;
  /** The log's line (0-based) of the message. */
  messageLine?: number;
}

/** The kernel's limit on processed instructions (BPF_COMPLEXITY_LIMIT_INSNS). */
export const INSN_LIMIT = 1_000_000;

const STATS = /^processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)/;
const TIME = /^verification time (\d+) usec$/;
// `12: (85) call bpf_map_lookup_elem#1    ; R0_w=...`: the index, the opcode, the disassembly, the state.
const INSN = /^(\d+): \([0-9a-f]{2}\) (.*?)(?:\s+;.*)?$/;
const ANNOTATION = /^; ?(.*?)(?: @ (\S+):(\d+))?$/;
/** Lines that follow the message, before the statistics (BPF_LOG_STATS, 7.3's explained block). */
const AFTER_MESSAGE = /^(verification time \d+ usec|stack depth .*|processed \d+ insns .*|Verification failed:.*)$/;

/** The verifier's log between libbpf's BEGIN/END markers in what the loader printed, or undefined. */
export function extractVerifierLog(output: string): string | undefined {
  const log = /-- BEGIN PROG LOAD LOG --\n([\s\S]*?)\n?-- END PROG LOAD LOG --/.exec(output)?.[1];
  return log?.replace(/\n$/, '');
}

export function parseVerifierLog(log: string): ParsedVerifierLog {
  const lines = log.split('\n');
  const result: ParsedVerifierLog = { path: [] };
  let source: SourceAnnotation | undefined;
  let firstAfter = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const stats = STATS.exec(line);
    if (stats) {
      const [, insns, perInsn, total, peak] = stats.map(Number);
      result.stats = { insns, maxStatesPerInsn: perInsn, totalStates: total, peakStates: peak };
    }
    const time = TIME.exec(line);
    if (time) result.timeUsec = Number(time[1]);
    if (AFTER_MESSAGE.test(line)) {
      if (firstAfter < 0) firstAfter = i;
      continue;
    }
    // 7.3's explained block after "Verification failed:" repeats instructions: the path ends there.
    if (firstAfter >= 0) continue;
    const annotation = line.startsWith(';') ? ANNOTATION.exec(line) : null;
    if (annotation) {
      const [, text, file, lineNo] = annotation;
      // `;  @ file.c:0` and a bare `; ` mark compiler-made instructions without a line of their own.
      source = file && Number(lineNo) > 0 ? { text, file, line: Number(lineNo) } : text.trim() ? { text } : undefined;
      continue;
    }
    const insn = INSN.exec(line);
    if (insn) result.path.push({ index: Number(insn[1]), text: insn[2].trim(), source, logLine: i });
  }
  // The message: the last line before the statistics that is not an instruction, a state or the
  // precision tracking of level 2.
  const end = firstAfter >= 0 ? firstAfter : lines.length;
  for (let i = end - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line) continue;
    if (/^mark_precise: /.test(line) || /^\d+: /.test(line) || /^;/.test(line)) break;
    result.message = line;
    result.messageLine = i;
    break;
  }
  const last = result.path[result.path.length - 1];
  if (result.message !== undefined && last && last.logLine < result.messageLine!) result.failing = last;
  return result;
}

/** Disassembly that writes R0: a move or ALU op into r0/w0, a load into it, or a call (which returns in R0). */
function writesR0(text: string): boolean {
  return /^[rw]0 (?:[-+*/%&|^]|<<|>>|s>>|s\/|s%)?=/.test(text) || /^call /.test(text);
}

/**
 * The instruction whose source line explains the refusal. Mostly the failing instruction itself; for
 * a refused return value the failing instruction is the `exit`, whose line is the function's opening,
 * so it is the last instruction of the path that set R0 (the `return` statement's code).
 */
export function blamedInsn(parsed: ParsedVerifierLog): PathInsn | undefined {
  const failing = parsed.failing;
  if (!failing) return undefined;
  if (failing.text === 'exit' && /register R0|R0 .*(?:!read_ok|unknown scalar|should have been)/.test(parsed.message ?? '')) {
    const before = parsed.path.slice(0, -1);
    for (let i = before.length - 1; i >= 0; i--) if (writesR0(before[i].text)) return before[i];
  }
  return failing;
}
