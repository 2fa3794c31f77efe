// Hover on a hook name (in the SEC string) or on BPF_PROG: the hook's prototype in the target kernel,
// what its verdict means, whether it is sleepable, disabled or cgroup-capable, and its release history.
import { MarkupKind, type Hover, type HoverParams } from 'vscode-languageserver';
import { describeReleases } from '../../hooks/releaseList';
import type { LsmProgram } from '../../analysis/programs';
import { describePrototypeHistory, hookFacts, programArgs, prototypeOf, type HookFacts } from '../../hooks/hookFacts';
import type { ServerContext } from '../context';

const RETURNS: Record<string, string> = {
  int: 'int: return 0 to allow, a negative errno (-EPERM) to deny; the verdict of the program before this one arrives as the trailing `int ret`, give it back when non-zero',
  bool: 'bool: return 0 or 1 (a bool hook: the kernel rejects other values)',
  void: 'void: the return value is ignored (observe only); no `ret` argument',
};

export function hover(ctx: ServerContext, params: HoverParams): Hover | null {
  const entry = ctx.store.get(params.textDocument.uri);
  if (!entry) return null;
  const analysis = ctx.analysis(entry);
  if (analysis.kind !== 'analysed') return null;
  const offset = entry.doc.offsetAt(params.position);
  const { model } = analysis.result;
  const onHook = (p: LsmProgram) => p.hookStart >= 0 && offset >= p.hookStart && offset <= p.hookEnd;
  const onMacro = (p: LsmProgram) => offset >= p.macroStart && offset <= p.macroEnd;
  const program = model.programs.find((p) => onHook(p) || onMacro(p));
  if (!program || !program.hook) return null;
  const [start, end] = onHook(program) ? [program.hookStart, program.hookEnd] : [program.macroStart, program.macroEnd];
  return {
    contents: { kind: MarkupKind.Markdown, value: describe(ctx, hookFacts(program.hook, ctx.target, ctx.catalog), program) },
    range: model.index.range(start, end),
  };
}

function describe(ctx: ServerContext, facts: HookFacts, program: LsmProgram): string {
  const { target, catalog } = ctx;
  const all = catalog.releases.map((r) => r.release);
  const where = `kernel ${target.release}, ${target.source === `bundled ${target.release}` ? 'bundled hook table' : target.source}`;
  if (!facts.def) {
    const history = facts.releases.length > 0
      ? `Not in ${target.release}; present in ${describeReleases(facts.releases, all)}.`
      : 'Not an LSM hook in any bundled release.';
    return `**${facts.name}** (${where})\n\n${history}`;
  }
  const lines = [
    `**${facts.name}**: LSM hook (${where})`,
    '```c',
    prototypeOf(facts.def),
    `BPF_PROG(${program.name || 'name'}, ${programArgs(facts.def, facts.returns!).join(', ')})`,
    '```',
    `- Returns ${RETURNS[facts.returns!]}`,
    `- Sleepable (\`lsm.s/\`): ${facts.sleepable ? 'yes' : 'no'}`,
    `- Disabled for BPF LSM: ${facts.disabled ? '**yes**, programs on it are refused' : 'no'}`,
    `- \`lsm_cgroup/\`: ${facts.cgroupCapable ? 'yes' : 'no'}`,
    `- Releases: ${describeReleases(facts.releases, all)} (first in ${facts.releases[0]})`,
  ];
  if (facts.def.condition) lines.push(`- Built with: \`${facts.def.condition}\``);
  if (facts.prototypes.length > 1) {
    lines.push('- Prototype changes:');
    for (const line of describePrototypeHistory(facts, catalog)) lines.push(`  - ${line}`);
  }
  if (target.note) lines.push('', `_${target.note}_`);
  return lines.join('\n');
}
