// Hover on a hook name (in the SEC string) or on BPF_PROG: the hook's prototype in the target kernel,
// what its verdict means, whether it is sleepable, disabled or cgroup-capable, and its release history;
// for a probed kernel, what its own verifier accepted ("probed on <target>"). Hover on a helper or kfunc
// call inside a program: may this program call it here, on which releases, sleepable or not.
import { MarkupKind, type Connection, type Hover, type HoverParams, type ServerCapabilities } from 'vscode-languageserver';
import { describeReleases } from '../../hooks/releaseList';
import { describeReturns, probedHookOf } from '../../hooks/probedKernel';
import { describeTableSource } from '../../hooks/tableSource';
import { describePrototypeHistory, hookFacts, programArgs, prototypeOf, type HookFacts } from '../../hooks/hookFacts';
import type { ServerContext } from '../context';
import { describeCall, programAt, wordAt } from './callables';
import type { Feature, Guard } from './feature';
import type { ProgramSpan } from '../workerProtocol';

const RETURNS = new Map<string, string>([
  [
    'int',
    'int: return 0 to allow, a negative errno (-EPERM) to deny; the verdict of the program before this one arrives as the trailing `int ret`, give it back when non-zero',
  ],
  ['bool', 'bool: return 0 or 1 (a bool hook: the kernel rejects other values)'],
  ['void', 'void: the return value is ignored (observe only); no `ret` argument'],
]);

export class HoverFeature implements Feature {
  constructor(private readonly ctx: ServerContext) {}

  register(connection: Connection, capabilities: ServerCapabilities, _client: unknown, guard: Guard): void {
    capabilities.hoverProvider = true;
    connection.onHover((params) => guard('hover', () => hover(this.ctx, params), null));
  }
}

export async function hover(ctx: ServerContext, params: HoverParams): Promise<Hover | null> {
  const entry = ctx.store.get(params.textDocument.uri);
  if (!entry) return null;
  const { generation } = entry;
  const offset = entry.doc.offsetAt(params.position);
  const analysis = await ctx.analysis(entry);
  // Offsets of a text that changed meanwhile would point elsewhere: the client asks again.
  if (analysis.kind !== 'analysed' || ctx.store.get(entry.doc.uri) !== entry || entry.generation !== generation) return null;
  const onHook = (p: ProgramSpan) => offset >= p.hookStart && offset <= p.hookEnd;
  const onMacro = (p: ProgramSpan) => offset >= p.macroStart && offset <= p.macroEnd;
  const program = analysis.programs.find((p) => onHook(p) || onMacro(p));
  if (!program || !program.hook) return callHover(ctx, entry.doc.getText(), offset, analysis.programs, entry.doc);
  return {
    contents: { kind: MarkupKind.Markdown, value: describe(ctx, hookFacts(program.hook, ctx.target, ctx.catalog), program) },
    range: onHook(program) ? program.hookRange : program.macroRange,
  };
}

/** Hover on a helper or kfunc call inside a program body. */
function callHover(
  ctx: ServerContext,
  text: string,
  offset: number,
  programs: ProgramSpan[],
  doc: { positionAt(offset: number): { line: number; character: number } },
): Hover | null {
  const program = programAt(programs, offset);
  const word = program && wordAt(text, offset);
  if (!program || !word) return null;
  const value = describeCall(text, word.word, program, ctx.target);
  if (!value) return null;
  return { contents: { kind: MarkupKind.Markdown, value }, range: { start: doc.positionAt(word.start), end: doc.positionAt(word.end) } };
}

function describe(ctx: ServerContext, facts: HookFacts, program: ProgramSpan): string {
  const { target, catalog } = ctx;
  const all = catalog.releases.map((r) => r.release);
  const where = `kernel ${target.release}, ${target.source.kind === 'bundled' ? 'bundled hook table' : describeTableSource(target.source)}`;
  if (!facts.def) {
    // A kernel's BTF lacks the hooks compiled out of it as well as those of other releases.
    const fromBtf = target.source.kind === 'btf' || target.source.kind === 'probed';
    const history =
      facts.releases.length > 0
        ? `Not in ${fromBtf ? "this kernel's BTF (compiled out or not in this release)" : target.release}; present in ${describeReleases(facts.releases, all)}.`
        : 'Not an LSM hook in any bundled release.';
    return `**${facts.name}** (${where})\n\n${history}`;
  }
  const lines = [
    `**${facts.name}**: LSM hook (${where})`,
    '```c',
    prototypeOf(facts.def),
    `BPF_PROG(${program.name || 'name'}, ${programArgs(facts.def, facts.returns!).join(', ')})`,
    '```',
    `- Returns ${RETURNS.get(facts.returns ?? '') ?? facts.returns}`,
    `- Sleepable (\`lsm.s/\`): ${facts.sleepable ? 'yes' : 'no'}`,
    `- Disabled for BPF LSM: ${facts.disabled ? '**yes**, programs on it are refused' : 'no'}`,
    `- \`lsm_cgroup/\`: ${facts.cgroupCapable ? 'yes' : 'no'}`,
    `- Releases: ${describeReleases(facts.releases, all)}${facts.releases.length > 0 ? ` (first in ${facts.releases[0]})` : ''}`,
  ];
  const probed = probedHookOf(target, facts.name);
  if (probed) {
    const said = probed.disabled
      ? `every program is refused (${probed.disabled})`
      : [
          `\`lsm/\` loads returning ${describeReturns(probed.lsm)}`,
          ...(probed.sleepable !== undefined ? [`\`lsm.s/\` ${probed.sleepable ? 'loads' : 'is refused'}`] : []),
          ...(probed.cgroup ? [`\`lsm_cgroup/\` loads returning ${describeReturns(probed.cgroup)}`] : []),
        ].join('; ');
    const source = describeTableSource(target.source);
    lines.push(`- ${source[0].toUpperCase()}${source.slice(1)}: ${said}`);
  }
  if (facts.def.condition) lines.push(`- Built with: \`${facts.def.condition}\``);
  if (facts.prototypes.length > 1) {
    lines.push('- Prototype changes:');
    for (const line of describePrototypeHistory(facts, catalog)) lines.push(`  - ${line}`);
  }
  if (target.note) lines.push('', `_${target.note}_`);
  return lines.join('\n');
}
