// JUnit XML, as CI systems read it: a <testsuite> per file on a kernel ("deny-open.lsmtest.yaml [6.12]"),
// a <testcase> per case with its <failure>, <error> or <skipped> and its output in <system-out>, and a
// suite per malformed file. Everything from outside (case names, output, messages) is escaped, and the
// characters XML 1.0 cannot hold at all (most control characters, lone surrogates) are written as \uXXXX.
import type { CaseResult, FileProblem, FileRun } from '../model';
import { countCases, displayPath, problemsByFile, runLabel, type ReportOptions } from './common';

/** Characters not allowed in an XML 1.0 document, even as references. */
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function xmlSafe(text: string): string {
  return text.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function xmlText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

function attrs(fields: Record<string, string | number | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

/** The message attribute: the first message, and how many more the body holds. */
function summary(messages: string[], fallback: string): string {
  const first = messages[0] ?? fallback;
  return messages.length > 1 ? `${first} (and ${messages.length - 1} more)` : first;
}

function testcase(run: FileRun, c: CaseResult, classname: string): string[] {
  const open = `    <testcase${attrs({ classname, name: c.name, time: seconds(c.durationMs), file: run.file, line: c.pos.line })}`;
  const inner: string[] = [];
  if (c.status === 'failed' || c.status === 'error') {
    const tag = c.status === 'failed' ? 'failure' : 'error';
    inner.push(`      <${tag}${attrs({ message: summary(c.messages, c.status), type: tag })}>${xmlText(c.messages.join('\n'))}</${tag}>`);
  } else if (c.status === 'skipped') {
    inner.push(`      <skipped${attrs({ message: c.messages[0] })}/>`);
  }
  if (c.output) inner.push(`      <system-out>${xmlText(c.output)}</system-out>`);
  return inner.length === 0 ? [`${open}/>`] : [`${open}>`, ...inner, '    </testcase>'];
}

function suite(
  name: string,
  counts: { tests: number; failures: number; errors: number; skipped: number },
  ms: number,
  body: string[],
  extra: Record<string, string | undefined> = {},
): string[] {
  return [`  <testsuite${attrs({ name, ...counts, time: seconds(ms), ...extra })}>`, ...body, '  </testsuite>'];
}

export function reportJunit(runs: readonly FileRun[], problems: readonly FileProblem[] = [], options: ReportOptions = {}): string {
  const suites: string[] = [];
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  let totalMs = 0;
  for (const run of runs) {
    const name = runLabel(run, options);
    const c = countCases([run]);
    const counts = { tests: run.cases.length, failures: c.failed, errors: c.error, skipped: c.skipped };
    const body: string[] = ['    <properties>', `      <property${attrs({ name: 'kernel', value: run.kernel })}/>`];
    if (run.release) body.push(`      <property${attrs({ name: 'release', value: run.release })}/>`);
    body.push('    </properties>');
    for (const r of run.cases) body.push(...testcase(run, r, name));
    if (run.error !== undefined && run.cases.length === 0) {
      // Nothing ran: one errored test stands for the file, so that CI counts it.
      counts.tests++;
      counts.errors++;
      body.push(
        `    <testcase${attrs({ classname: name, name: '(the file)', time: seconds(run.durationMs), file: run.file })}>`,
        `      <error${attrs({ message: run.error, type: 'error' })}>${xmlText(run.error)}</error>`,
        '    </testcase>',
      );
    }
    if (run.error !== undefined) body.push(`    <system-err>${xmlText(run.error)}</system-err>`);
    suites.push(...suite(name, counts, run.durationMs, body, { file: run.file }));
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += counts[k];
    totalMs += run.durationMs;
  }
  for (const [file, list] of problemsByFile(problems)) {
    const name = displayPath(file, options);
    const text = list.map((p) => `${name}:${p.line}:${p.column}: ${p.message}`).join('\n');
    const message = `malformed test file: ${summary(
      list.map((p) => `${p.line}:${p.column}: ${p.message}`),
      'malformed',
    )}`;
    suites.push(
      ...suite(
        name,
        { tests: 1, failures: 0, errors: 1, skipped: 0 },
        0,
        [
          `    <testcase${attrs({ classname: name, name: '(parse)', time: seconds(0), file, line: list[0].line })}>`,
          `      <error${attrs({ message, type: 'malformed' })}>${xmlText(text)}</error>`,
          '    </testcase>',
        ],
        { file },
      ),
    );
    total.tests++;
    total.errors++;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'bpf-lsm-test', ...total, time: seconds(totalMs) })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
