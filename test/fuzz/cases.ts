// The documents of an analysis fuzz run. Case `index` of a run seeded `seed` is a pure function of the two,
// so a restarted worker resumes where the last one stopped and a hang can be written out by the parent.
import { HookCatalog } from '../../server/src/hooks/catalog';
import { cyclicBtf, damageBtf } from './btf';
import {
  BUILTIN_HOOK_NAMES,
  builtinNames,
  deepNesting,
  hostileHeader,
  hugeLine,
  invalidUtf8,
  nearLimit,
  nuls,
  programsOn,
  seedPrograms,
  soup,
  withLineEndings,
} from './corpora';
import { mutate } from './mutate';
import { Rng } from './rng';

export interface FuzzCase {
  index: number;
  /** The generator that made it. */
  kind: string;
  /** The program analysed. */
  text: string;
  /** Kernel release to check against (default: the newest bundled). */
  kernel?: string;
  /** An lsm_hook_defs.h to take the hooks from (parsed, then `text` is checked against it). */
  header?: string;
  /** A BTF blob to take the hooks from. */
  btf?: Uint8Array;
  /** Also check it with CRLF and CR line endings: the findings must not change. */
  eolOracle?: boolean;
  /** Also lint it with bpf-lsm-lint, saved under this file name. */
  cliName?: string;
  /** Mutations applied, for mutants. */
  ops?: string[];
}

/** How often each generator runs: a round-robin schedule, so any slice of a run covers every kind. */
const WEIGHTS: [string, number][] = [
  ['mutant', 14],
  ['real', 2],
  ['builtin-names', 5],
  ['deep-nesting', 1],
  ['line-endings', 2],
  ['invalid-utf8', 2],
  ['nul', 2],
  ['soup', 3],
  ['header', 3],
  ['btf', 2],
];

/** Slow kinds come at fixed periods instead: [kind, period, offset]. */
const PERIODIC: [string, number, number][] = [
  ['near-limit', 5000, 4999],
  ['huge-line', 250, 123],
];

export const CASE_KINDS = [...WEIGHTS.map(([k]) => k), ...PERIODIC.map(([k]) => k)];

function interleave(weights: [string, number][]): string[] {
  // Spread each kind evenly over the cycle rather than in blocks.
  const total = weights.reduce((s, [, w]) => s + w, 0);
  const slots: { kind: string; at: number }[] = [];
  for (const [kind, w] of weights) for (let i = 0; i < w; i++) slots.push({ kind, at: (i + 0.5) / w });
  return slots
    .sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind))
    .map((s) => s.kind)
    .slice(0, total);
}

const SCHEDULE = interleave(WEIGHTS);

/** Every this many program cases, the command-line linter too. */
export const CLI_EVERY = 50;

/** File names a linter prints: newlines, terminal escapes, carriage returns, look-alikes of its own output. */
export const HOSTILE_FILE_NAMES = [
  'new\nline.bpf.c',
  '\x1b[31mred\x1b[0m.bpf.c',
  'carriage\rreturn.bpf.c',
  'tab\tname.bpf.c',
  'bell\x07.bpf.c',
  'csi\u009b2J.bpf.c',
  'x.bpf.c:1:1: error: forged [license]\nx.bpf.c',
  '\u202eevil.c.bpf.c',
  'plain-name.bpf.c',
  'spaces in name.bpf.c',
  '\u00fc\u00f1\u00ee.bpf.c',
  'constructor',
  '__proto__.bpf.c',
  'del\x7f.bpf.c',
];

let releases: string[] | undefined;

/** Which generator makes case `index`. */
export function caseKind(index: number): string {
  const periodic = PERIODIC.find(([, period, offset]) => index % period === offset);
  return periodic ? periodic[0] : SCHEDULE[index % SCHEDULE.length];
}

export function generateCase(seed: number, index: number): FuzzCase {
  const rng = Rng.of(seed, index);
  const kind = caseKind(index);
  const seeds = seedPrograms();
  const base = () => rng.pick(seeds).text;
  releases ??= HookCatalog.bundled().releases.map((r) => r.release);
  const c: FuzzCase = { index, kind, text: '' };
  if (rng.chance(0.3)) c.kernel = rng.pick(releases);
  switch (kind) {
    case 'mutant': {
      const m = mutate(
        rng,
        base(),
        seeds.map((s) => s.text),
      );
      c.text = m.text;
      c.ops = m.ops;
      break;
    }
    case 'real':
      c.text = base();
      break;
    case 'builtin-names':
      c.text = builtinNames(rng);
      break;
    case 'deep-nesting':
      c.text = deepNesting(rng);
      break;
    case 'line-endings':
      c.text = withLineEndings(base(), rng.pick(['crlf', 'cr', 'mixed', 'lone-cr'] as const), rng);
      break;
    case 'invalid-utf8':
      c.text = invalidUtf8(rng, base());
      break;
    case 'nul':
      c.text = nuls(rng, base());
      break;
    case 'huge-line':
      c.text = hugeLine(rng);
      break;
    case 'near-limit':
      c.text = nearLimit(rng);
      break;
    case 'soup':
      c.text = soup(rng, rng.int(4000));
      break;
    case 'header': {
      const h = hostileHeader(rng);
      c.header = h.text;
      c.text = programsOn(h.hooks);
      break;
    }
    case 'btf': {
      const hooks = [...new Set([rng.pick(BUILTIN_HOOK_NAMES), rng.pick(BUILTIN_HOOK_NAMES), 'file_open'])];
      c.btf = rng.chance(0.5) ? cyclicBtf(rng, hooks) : damageBtf(rng, cyclicBtf(rng, hooks));
      c.text = programsOn(hooks);
      break;
    }
  }
  if (!c.header && !c.btf && index % 2 === 0 && !c.text.includes('\r') && c.text.length < 200_000) c.eolOracle = true;
  if (!c.header && !c.btf && index % CLI_EVERY === 7) c.cliName = rng.pick(HOSTILE_FILE_NAMES);
  return c;
}
