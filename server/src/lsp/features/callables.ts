// Helper and kfunc calls for hover and completion: may this program call it on the target kernel, on which
// data releases, sleepable or not (server/src/hooks/callables.ts; the same verdicts as helper-not-allowed
// and kfunc-not-allowed).
import { CompletionItemKind, MarkupKind, type CompletionItem, type Range } from 'vscode-languageserver';
import { fillMessage, helperRefusal, kfuncStatus, ksymDeclarations } from '../../analysis/checks/callables';
import type { KernelTarget } from '../../hooks/catalog';
import {
  callableReleases,
  callableRulesFor,
  lsmKfuncNames,
  type CallableRules,
  type CallKind,
  type KfuncStatus,
} from '../../hooks/callables';
import type { ProgramSpan } from '../workerProtocol';

/** The identifier under `offset`: its text and offsets, or null. */
export function wordAt(text: string, offset: number): { word: string; start: number; end: number } | null {
  let start = offset;
  let end = offset;
  while (start > 0 && /\w/.test(text[start - 1]) && offset - start < 128) start--;
  while (end < text.length && /\w/.test(text[end]) && end - offset < 128) end++;
  return end > start && /^[A-Za-z_]/.test(text[start]) ? { word: text.slice(start, end), start, end } : null;
}

/** The program whose body holds `offset`. */
export function programAt(programs: ProgramSpan[], offset: number): ProgramSpan | undefined {
  return programs.find((p) => p.bodyStart >= 0 && offset > p.bodyStart && offset < p.bodyEnd);
}

type Verdict = { ok: boolean | null; why: string };

function helperHere(rules: CallableRules, name: string, kind: CallKind, sleepableHook: boolean | null): Verdict | null {
  const h = rules.helper(name.slice(4), kind);
  if (!h) return null;
  if (h.verdict === 'unknown') return { ok: null, why: 'not known (the kernel decides on something the sources do not say here)' };
  const refusal = helperRefusal(h.verdict, kind, sleepableHook);
  if (!refusal) {
    const note = h.verdict === 'hook' || h.verdict === 'hook-sleeps' ? ' (on sleepable-set hooks only)' : '';
    return { ok: true, why: `yes${note}` };
  }
  return { ok: false, why: `no: "${fillMessage(rules.messages[refusal], name, h.id) ?? 'refused'}"` };
}

function kfuncHere(rules: CallableRules, name: string, kind: CallKind, target?: KernelTarget): Verdict {
  const status: KfuncStatus = target ? kfuncStatus(rules, name, target) : rules.kfunc(name);
  switch (status) {
    case 'usable':
      return { ok: true, why: 'yes' };
    case 'sleepable':
      return kind === 'lsm.s'
        ? { ok: true, why: 'yes (sleepable kfunc)' }
        : { ok: false, why: `no: sleepable kfunc ("${fillMessage(rules.messages.sleepableKfunc, name) ?? 'refused'}")` };
    case 'other':
      return { ok: false, why: 'no: not registered for LSM programs' };
    case 'absent':
      return { ok: false, why: 'no: the kernel lacks it' };
    default:
      return { ok: null, why: 'not known' };
  }
}

/** Markdown for a hover on a helper or kfunc call inside `program`, or null when the word is neither. */
export function describeCall(text: string, word: string, program: ProgramSpan, target: KernelTarget): string | null {
  const sleepableHook = target.hooks.has(program.hook) ? target.sets.sleepable.includes(program.hook) : null;
  // Declared here, or an LSM kfunc a header declares (vmlinux.h of newer bpftool, bpf_experimental.h).
  const kfunc = ksymDeclarations(text).has(word) || lsmKfuncNames().has(word);
  const verdictOn = (rules: CallableRules): Verdict | null =>
    kfunc ? kfuncHere(rules, word, program.kind) : word.startsWith('bpf_') ? helperHere(rules, word, program.kind, sleepableHook) : null;
  const history = callableReleases().map((r) => ({ release: r.release, v: verdictOn(r.rules) }));
  if (history.every((h) => h.v === null)) return null;
  const rules = callableRulesFor(target.version);
  const here = rules ? (kfunc ? kfuncHere(rules, word, program.kind, target) : verdictOn(rules)) : null;
  const first = callableReleases()
    .map((r) => r.rules.helper(word.slice(4), 'lsm'))
    .find(Boolean);
  const what = kfunc ? 'kfunc (`__ksym`)' : `BPF helper #${first?.id ?? '?'}`;
  const lines = [
    `**${word}**: ${what}`,
    `- In this \`${program.kind}/${program.hook}\` program on kernel ${target.release}: ${here ? here.why : 'no rules for this kernel (no claim)'}`,
  ];
  if (!kfunc) {
    const sleeps = callableReleases().some((r) => ['sleeps', 'hook-sleeps'].includes(r.rules.helper(word.slice(4), 'lsm')?.verdict ?? ''));
    lines.push(`- Sleepable: ${sleeps ? 'it may sleep: sleepable programs (`lsm.s/`) only' : 'no (any program kind)'}`);
  } else {
    const sleepable = callableReleases().some((r) => r.rules.kfunc(word) === 'sleepable');
    lines.push(`- Sleepable: ${sleepable ? 'yes (KF_SLEEPABLE): `lsm.s/` programs only' : 'no'}`);
  }
  lines.push(
    `- Here, per release: ${history.map((h) => `${h.release} ${h.v ? (h.v.ok === null ? '?' : h.v.ok ? 'yes' : 'no') : '-'}`).join(', ')}`,
  );
  return lines.join('\n');
}

/** Completion items inside a program body: helpers this program may call, and the file's kfuncs it may call. */
export function callableItems(text: string, program: ProgramSpan, target: KernelTarget, range: Range): CompletionItem[] {
  const rules = callableRulesFor(target.version);
  if (!rules) return [];
  const sleepableHook = target.hooks.has(program.hook) ? target.sets.sleepable.includes(program.hook) : null;
  const items: CompletionItem[] = [];
  for (const name of rules.helperNames()) {
    const v = helperHere(rules, `bpf_${name}`, program.kind, sleepableHook);
    if (!v?.ok) continue;
    items.push({
      label: `bpf_${name}`,
      kind: CompletionItemKind.Function,
      detail: `BPF helper, callable here on kernel ${target.release}`,
      documentation: { kind: MarkupKind.Markdown, value: v.why },
      textEdit: { range, newText: `bpf_${name}` },
    });
  }
  for (const name of ksymDeclarations(text).keys()) {
    const v = kfuncHere(rules, name, program.kind, target);
    if (!v.ok) continue;
    items.push({
      label: name,
      kind: CompletionItemKind.Function,
      detail: `kfunc, callable here on kernel ${target.release}`,
      textEdit: { range, newText: name },
    });
  }
  return items;
}
