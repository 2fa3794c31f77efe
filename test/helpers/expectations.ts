// Fixture files carry their expectations: `// expect: code[, code]` on the line a finding starts, and
// `// kernel: 6.12` near the top for the kernel to check against.

export interface Expected {
  line: number;
  code: string;
}

export function expectedFindings(text: string): Expected[] {
  const out: Expected[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /\/\/ expect: ([\w, -]+)$/.exec(line);
    if (m) for (const code of m[1].split(',')) out.push({ line: i + 1, code: code.trim() });
  });
  return out;
}

export function fixtureKernel(text: string): string | undefined {
  return /^\/\/ kernel: (\S+)/m.exec(text)?.[1];
}

export function formatExpectations(list: Expected[]): string[] {
  return list.map((e) => `${e.line}: ${e.code}`).sort();
}

/** Every check code in the registry's order, as "known: ..." lists them after an unknown code. */
export const KNOWN_CHECK_CODES =
  'unknown-hook, hook-not-in-kernel, disabled-hook, not-sleepable, unsupported-section, wrong-macro, signature-mismatch, ' +
  'missing-ret-passthrough, return-out-of-range, helper-not-allowed, kfunc-not-allowed, unchecked-nullable-arg, always-denies, ' +
  'misleading-indentation, license, unused-suppression, verifier-rejected';
