// What a case expects on a kernel, and whether what the run observed meets it: one line per unmet
// expectation, written for the person reading a failed test ("expected errno EPERM (1), got success").
//
// The load comes first. When the program did not load, a case that does not expect `load: rejected`
// fails with the reason (its action never ran); when it loaded, a case expecting a rejection fails. A
// kernel WARNING while a case ran fails it unless the case expects one (`kernel_warning`).
import { errnoName, errnoNumber } from './errno';
import type { Expectation, Observed, PolicyCase } from './model';

/** Why `source` is not a usable regular expression (JavaScript syntax, no flags), or undefined. */
export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    // "Invalid regular expression: /(/: Unterminated group" → "Unterminated group"
    return (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/**
 * The expectation of case `c` on `kernel`: its expect_on entry for that series (a release such as
 * "6.12.38+deb13-amd64" finds the "6.12" entry), else its expect; undefined when it has neither (the
 * case does not run there).
 */
export function expectationFor(c: PolicyCase, kernel: string): Expectation | undefined {
  if (Object.hasOwn(c.expectOn, kernel)) return c.expectOn[kernel];
  const series = /^(\d+\.\d+)(?!\d)/.exec(kernel)?.[1];
  if (series !== undefined && Object.hasOwn(c.expectOn, series)) return c.expectOn[series];
  return c.expect;
}

/** Output in a message: one line, control characters escaped, cut at `max` characters. */
function excerpt(text: string, max = 200): string {
  const trimmed = text.replace(/\s+$/, '');
  const cut = trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed;
  // eslint-disable-next-line no-control-regex
  return `'${cut.replace(/[\u0000-\u001f\u007f-\u009f\\']/g, (c) => (c === "'" ? "\\'" : JSON.stringify(c).slice(1, -1)))}'`;
}

function lines(found: string[], max = 5): string {
  const shown = found.slice(0, max).map((l) => excerpt(l, 120));
  return found.length > max ? `${shown.join(', ')} and ${found.length - max} more` : shown.join(', ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The pattern as a RegExp, or the message saying why it is not one. */
function compile(field: string, source: string): RegExp | string {
  const problem = regexProblem(source);
  return problem === undefined ? new RegExp(source) : `${field}: /${source}/ is not a valid regular expression: ${problem}`;
}

function errnoText(errno: { code: number; name: string }): string {
  return `${errno.name || errnoName(errno.code) || 'errno'} (${errno.code})`;
}

/** The unmet expectations, one line each; empty when the case passed. */
export function evaluate(expect: Expectation, observed: Observed): string[] {
  const out: string[] = [];
  const load = observed.load;
  if (!load.loaded) {
    if (expect.load !== 'rejected') return [`the program did not load: ${load.message}`];
    if (expect.verifier !== undefined) {
      const re = compile('verifier', expect.verifier);
      if (typeof re === 'string') out.push(re);
      else if (!re.test(load.verifierLog))
        out.push(
          `expected the verifier log to match /${expect.verifier}/, got: ${load.verifierLog.trim() ? excerpt(lastLines(load.verifierLog)) : 'an empty log'}`,
        );
    }
    return out;
  }
  if (expect.load === 'rejected') return ['expected the program to be rejected by the verifier, but it loaded'];

  if (expect.allowed) {
    if (observed.errno !== undefined && observed.errno.code !== 0)
      out.push(`expected the action to be allowed, got ${errnoText(observed.errno)}`);
    else if (observed.exit !== undefined && observed.exit !== 0)
      out.push(
        `expected the command to succeed, got exit status ${observed.exit}${observed.stderr ? `; stderr: ${excerpt(observed.stderr)}` : ''}`,
      );
    else if (observed.errno === undefined && observed.exit === undefined)
      out.push('expected the action to be allowed, but it reported no result');
  }

  if (expect.errno !== undefined) {
    const want = errnoNumber(expect.errno);
    if (observed.errno === undefined) out.push(`expected errno ${expect.errno} (${want}), but the action reported no errno`);
    else if (observed.errno.code === 0) out.push(`expected errno ${expect.errno} (${want}), got success`);
    else if (observed.errno.code !== want) out.push(`expected errno ${expect.errno}, got ${errnoText(observed.errno)}`);
  }

  if (expect.exit !== undefined) {
    if (observed.exit === undefined) out.push(`expected exit status ${expect.exit}, but no exit status was reported`);
    else if (observed.exit !== expect.exit)
      out.push(
        `expected exit status ${expect.exit}, got ${observed.exit}${observed.stderr ? `; stderr: ${excerpt(observed.stderr)}` : ''}`,
      );
  }

  for (const stream of ['stdout', 'stderr'] as const) {
    const pattern = expect[stream];
    if (pattern === undefined) continue;
    const re = compile(stream, pattern);
    const text = observed[stream] ?? '';
    if (typeof re === 'string') out.push(re);
    else if (!re.test(text)) out.push(`expected ${stream} to match /${pattern}/, got: ${text.trim() ? excerpt(text) : 'nothing'}`);
  }

  if (expect.trace !== undefined) {
    const re = compile('trace', expect.trace);
    if (typeof re === 'string') out.push(re);
    else if (!observed.trace.some((l) => re.test(l))) {
      const seen = observed.trace.length === 0 ? 'saw 0 lines' : `saw ${plural(observed.trace.length, 'line')}: ${lines(observed.trace)}`;
      out.push(`expected a trace line matching /${expect.trace}/, ${seen}`);
    }
  }

  const warnings = observed.kernelWarnings;
  if (expect.kernel_warning !== undefined) {
    const re = compile('kernel_warning', expect.kernel_warning);
    if (typeof re === 'string') out.push(re);
    else if (!warnings.some((l) => re.test(l))) {
      const seen = warnings.length === 0 ? 'saw none' : `saw ${plural(warnings.length, 'warning')}: ${lines(warnings)}`;
      out.push(`expected a kernel warning matching /${expect.kernel_warning}/, ${seen}`);
    }
  } else if (warnings.length > 0) {
    out.push(`the kernel warned while the case ran: ${lines(warnings, 3)}`);
  }
  return out;
}

/** The end of a verifier log, where the reason is. */
function lastLines(log: string, n = 3): string {
  return log.trim().split('\n').slice(-n).join('\n');
}
