// Completion of hook names inside SEC("lsm/, SEC("lsm.s/ (sleepable hooks only) and SEC("lsm_cgroup/
// (hooks with a verdict), of the whole BPF_PROG argument list for a program whose hook is known, and
// inside a program body of the helpers and the file's kfuncs that program may call on the target kernel.
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CompletionItem,
  type CompletionParams,
  type Connection,
  type ServerCapabilities,
} from 'vscode-languageserver';
import { hookStatus, programArgs, prototypeOf } from '../../hooks/hookFacts';
import type { ServerContext } from '../context';
import type { Feature, Guard } from './feature';
import { callableItems, programAt } from './callables';

export const COMPLETION_TRIGGERS = ['/', '(', ','];

export class CompletionFeature implements Feature {
  constructor(private readonly ctx: ServerContext) {}

  register(connection: Connection, capabilities: ServerCapabilities, _client: unknown, guard: Guard): void {
    capabilities.completionProvider = { triggerCharacters: COMPLETION_TRIGGERS };
    connection.onCompletion((params) => guard('completion', () => complete(this.ctx, params), []));
  }
}

const SECTION_PREFIX = /(?:\bSEC|\bsection)\s*\(\s*"\??(lsm\.s|lsm_cgroup|lsm)\/(\w*)$/;
const PROG_ARGS_PREFIX = /\bBPF_PROG\s*\(\s*(\w+)\s*(,[^()]*)?$/;
const LAST_SECTION = /(?:\bSEC|\bsection)\s*\(\s*"\??(lsm\.s|lsm_cgroup|lsm)\/(\w+)"/g;
/** How far back from a BPF_PROG( the program's SEC(...) may stand. */
const SECTION_LOOKBACK = 600;

const CALL_PREFIX = /\b(bpf_\w*|\w+)$/;

export async function complete(ctx: ServerContext, params: CompletionParams): Promise<CompletionItem[]> {
  const entry = ctx.store.get(params.textDocument.uri);
  if (!entry) return [];
  const doc = entry.doc;
  const offset = doc.offsetAt(params.position);
  const linePrefix = doc.getText({ start: { line: params.position.line, character: 0 }, end: params.position });

  const section = SECTION_PREFIX.exec(linePrefix);
  if (section) return hookItems(ctx, section[1], params.position, section[2].length);

  const prog = PROG_ARGS_PREFIX.exec(linePrefix);
  if (prog) {
    const before = doc.getText().slice(Math.max(0, offset - linePrefix.length - SECTION_LOOKBACK), offset - linePrefix.length);
    const marker = [...before.matchAll(LAST_SECTION)].pop();
    if (!marker) return [];
    const typedArgs = prog[2] ?? '';
    return argumentItems(ctx, marker[1], marker[2], {
      start: { line: params.position.line, character: params.position.character - typedArgs.length },
      end: params.position,
    });
  }
  const call = CALL_PREFIX.exec(linePrefix);
  if (call && call[1].length >= 3) {
    const { generation } = entry;
    const analysis = await ctx.analysis(entry);
    if (analysis.kind !== 'analysed' || ctx.store.get(doc.uri) !== entry || entry.generation !== generation) return [];
    const program = programAt(analysis.programs, offset);
    if (!program) return [];
    const range = { start: { line: params.position.line, character: params.position.character - call[1].length }, end: params.position };
    return callableItems(doc.getText(), program, ctx.target, range).filter((i) => i.label.startsWith(call[1]));
  }
  return [];
}

function hookItems(ctx: ServerContext, kind: string, position: { line: number; character: number }, typed: number): CompletionItem[] {
  const { target, catalog } = ctx;
  const range = { start: { line: position.line, character: position.character - typed }, end: position };
  const items: CompletionItem[] = [];
  for (const [name, def] of target.hooks) {
    const facts = hookStatus(name, target);
    if (facts.disabled) continue;
    if (kind === 'lsm.s' && !facts.sleepable) continue;
    if (kind === 'lsm_cgroup' && !facts.cgroupCapable) continue;
    items.push({
      label: name,
      kind: CompletionItemKind.Function,
      detail: prototypeOf(def),
      documentation: {
        kind: MarkupKind.Markdown,
        value: `Returns ${facts.returns}; ${facts.sleepable ? 'sleepable' : 'not sleepable'} in kernel ${target.release}; first bundled release with it: ${catalog.releasesWith(name)[0]}.`,
      },
      textEdit: { range, newText: name },
    });
  }
  return items;
}

function argumentItems(
  ctx: ServerContext,
  kind: string,
  hook: string,
  range: { start: { line: number; character: number }; end: { line: number; character: number } },
): CompletionItem[] {
  const facts = hookStatus(hook, ctx.target);
  if (!facts.def || !facts.returns) return [];
  // lsm_cgroup programs are not chained by verdict: no trailing ret.
  const args = programArgs(facts.def, kind === 'lsm_cgroup' ? 'void' : facts.returns);
  if (args.length === 0) return [];
  const snippet = args.map((a, i) => `\${${i + 1}:${a.replace(/[$}\\]/g, '\\$&')}}`).join(', ');
  return [
    {
      label: args.join(', '),
      kind: CompletionItemKind.Snippet,
      detail: `${hook}'s arguments in kernel ${ctx.target.release}`,
      documentation: prototypeOf(facts.def),
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range, newText: `, ${snippet}` },
      filterText: `, ${args.join(', ')}`,
      preselect: true,
    },
  ];
}
