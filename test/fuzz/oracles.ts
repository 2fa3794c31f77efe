// What a fuzz run calls a bug, besides an exception or a hang: messages that show JavaScript internals
// (a function's source, NaN, [object Object]) where a name or a number belongs, ranges that point outside
// the document, and findings that change with the line endings.

export interface Problem {
  /** Stable class: problems of one class are one bug (counted together, reproduced once). */
  cls: string;
  detail: string;
  stack?: string;
}

/** Text that only a JavaScript value rendered by mistake produces (when the document does not contain it). */
const SUSPICIOUS: [string, RegExp][] = [
  ['native-code', /\[native code\]|function \w*\(\) \{/],
  ['NaN', /\bNaN\b/],
  ['object-Object', /\[object \w+\]/],
  ['undefined', /\bundefined\b/],
  ['null', /\bnull\b/],
  ['Infinity', /\bInfinity\b/],
];

/** Problems in the text of one message (a finding, a diagnostic, a hover) about `document`. */
export function suspiciousText(message: string, document: string, where: string): Problem[] {
  const problems: Problem[] = [];
  // The kernel's own words, quoted in double quotes ("... null-check it first"), are not ours to judge.
  const ours = message.replace(/\("[^"]*"\)/g, '');
  for (const [name, re] of SUSPICIOUS) {
    if (re.test(ours) && !re.test(document)) problems.push({ cls: `${where}-shows-${name}`, detail: message.slice(0, 300) });
  }
  return problems;
}

export interface Pos {
  line: number;
  character: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

/** Line lengths of `text` as LSP counts lines (\n, \r\n and \r all end a line). */
export function lspLineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

/** A range must be ordered, integral and inside the document. */
export function rangeProblems(range: Span, lines: number[], where: string): Problem[] {
  const { start, end } = range;
  const all = [start.line, start.character, end.line, end.character];
  if (!all.every((x) => Number.isInteger(x) && x >= 0)) return [{ cls: `${where}-range-not-a-position`, detail: JSON.stringify(range) }];
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) {
    return [{ cls: `${where}-range-reversed`, detail: JSON.stringify(range) }];
  }
  for (const p of [start, end]) {
    if (p.line >= lines.length)
      return [{ cls: `${where}-range-past-last-line`, detail: `${JSON.stringify(range)} in ${lines.length} lines` }];
    if (p.character > lines[p.line])
      return [
        { cls: `${where}-range-past-end-of-line`, detail: `${JSON.stringify(range)}, line ${p.line} has ${lines[p.line]} characters` },
      ];
  }
  return [];
}

/** One line per finding: code and start position; equal lists mean the same findings. */
export function findingKeys(findings: { code?: unknown; range: Span }[]): string[] {
  return findings.map((f) => `${String(f.code)}@${f.range.start.line}:${f.range.start.character}`).sort();
}

/** A crash's class: where, the error's name and its message with numbers and quoted names blurred. */
export function crashClass(where: string, err: unknown): Problem {
  const e = err instanceof Error ? err : new Error(String(err));
  const first = (e.message.split('\n')[0] ?? '')
    .replace(/'[^']*'|"[^"]*"/g, "'…'")
    .replace(/\d+/g, 'N')
    .slice(0, 100);
  return { cls: `${where}-crash: ${e.name}: ${first}`, detail: e.message.slice(0, 500), stack: e.stack };
}
