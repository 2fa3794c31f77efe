// What the editor says about a file's verify results across kernels, pure so that it is unit-tested:
// refusals grouped by where and why (with the kernels that refuse and those that load the program), the
// CodeLens line per program, and the kernels side by side ("refused by 6.12, loads on 6.1").
import { INSN_LIMIT } from './verifierLog';
import type { PathLine, VerifyResult } from './verify';

/** One refusal as one diagnostic: the same program, line and message on one or more kernels. */
export interface Refusal {
  program: string;
  section: string;
  /** The file and 1-based line and column it failed on (the source unless the failure is in a header). */
  file: string;
  line: number;
  column: number;
  message: string;
  refusedBy: string[];
  /** Kernels on which the same program verified. */
  loadsOn: string[];
  /** The failing path's source lines on the first refusing kernel. */
  path: PathLine[];
  /** The refusing kernels' results (for their logs). */
  results: VerifyResult[];
}

const list = (kernels: string[]) =>
  kernels.length <= 1 ? (kernels[0] ?? '') : `${kernels.slice(0, -1).join(', ')} and ${kernels[kernels.length - 1]}`;

/** "refused by 6.12, loads on 6.1"; "refused by 6.1 and 6.12". */
export function kernelsText(refusedBy: string[], loadsOn: string[]): string {
  return `refused by ${list(refusedBy)}${loadsOn.length > 0 ? `, loads on ${list(loadsOn)}` : ''}`;
}

/** Refusals that have a line, grouped; the order of the results (kernels as configured). */
export function groupRefusals(results: readonly VerifyResult[]): Refusal[] {
  const groups = new Map<string, Refusal>();
  for (const r of results) {
    if (r.verdict !== 'rejected' || r.line === null) continue;
    const file = r.failedFile ?? r.file;
    const key = JSON.stringify([r.program, file, r.line, r.message]);
    let g = groups.get(key);
    if (!g) {
      const loadsOn = results.filter((o) => o.program === r.program && o.verdict === 'verified').map((o) => o.kernel);
      g = {
        program: r.program,
        section: r.section,
        file,
        line: r.line,
        column: r.column ?? 1,
        message: r.message ?? '',
        refusedBy: [],
        loadsOn,
        path: r.failingPath,
        results: [],
      };
      groups.set(key, g);
    }
    g.refusedBy.push(r.kernel);
    g.results.push(r);
  }
  return [...groups.values()];
}

const count = (n: number) => n.toLocaleString('en-US');

/** One kernel's part of a program's CodeLens: "6.12 verified: 1,234 insns, 12 states, 0.8 ms". */
export function kernelLensText(r: VerifyResult): string {
  if (r.verdict === 'compile-error') return `${r.kernel}: does not compile`;
  if (r.verdict === 'rejected') return `${r.kernel} refused${r.line !== null ? ` (line ${r.line})` : ''}`;
  const figures = [
    r.insns !== null ? `${count(r.insns)} insns` : undefined,
    r.states !== null ? `${count(r.states)} states` : undefined,
    r.ms !== null ? `${r.ms < 10 ? r.ms.toFixed(1) : Math.round(r.ms)} ms` : undefined,
  ].filter(Boolean);
  return `${r.kernel} verified${figures.length > 0 ? `: ${figures.join(', ')}` : ''}${r.nearLimit ? ' (near the 1M-instruction limit)' : ''}`;
}

/** A program's CodeLens over all kernels: "6.12 verified: 5 insns, 0 states, 0.8 ms · 6.1 verified: ...". */
export function programLensText(results: readonly VerifyResult[]): string {
  return results.map(kernelLensText).join(' · ');
}

/** The warning for a program within 10 % of the kernel's processed-instruction limit, or undefined. */
export function nearLimitText(r: VerifyResult): string | undefined {
  if (!r.nearLimit || r.insns === null) return undefined;
  return `${r.program} took ${count(r.insns)} of the ${count(INSN_LIMIT)} instructions the ${r.kernel} verifier processes at most: a little more code or branching and it is refused.`;
}
