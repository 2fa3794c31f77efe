// Lints every file of the corpus (.cache/corpus, built by build-corpus.ts) with the product's analyzer,
// against the kernel each file targets (else the manifest's default), with the local headers it includes
// read as the command-line linter reads them (beside the file; build-corpus.ts copies them), and prints
// the programs found,
// the findings per check code, and one line per finding. Findings already judged in
// docs/corpus-review.md (a table row `| code | severity | file:line | true/false | why |`) are counted as
// true or false per code; the rest are listed as unreviewed.
//   node out/scripts/corpus/measure.js [--json FILE]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../common/repoRoot';
import { Analyzer } from '../../server/src/analysis/analyze';
import { readIncludes } from '../../server/src/analysis/includeReader';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { corpusName, corpusPath, readManifest } from './corpus';

const REVIEW_PATH = path.join(REPO_ROOT, 'docs', 'corpus-review.md');

interface Measured {
  file: string;
  line: number;
  severity: string;
  code: string;
  message: string;
}

/** `code|file:line` -> true (right) or false (wrong), from the review's table. */
function readReview(): Map<string, boolean> {
  const verdicts = new Map<string, boolean>();
  if (!fs.existsSync(REVIEW_PATH)) return verdicts;
  for (const line of fs.readFileSync(REVIEW_PATH, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/^`|`$/g, ''));
    if (cells.length < 6 || !/^(true|false)$/.test(cells[4])) continue;
    verdicts.set(`${cells[1]}|${cells[3]}`, cells[4] === 'true');
  }
  return verdicts;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' } } });
  const manifest = readManifest();
  const catalog = HookCatalog.bundled();
  const analyzer = await Analyzer.create();
  const findings: Measured[] = [];
  const problems: string[] = [];
  let files = 0;
  let programs = 0;
  try {
    for (const source of manifest.sources) {
      for (const file of source.files) {
        const name = corpusName(source, file);
        const where = corpusPath(source, file);
        if (!fs.existsSync(where)) {
          problems.push(`${name}: not built (run build-corpus.js)`);
          continue;
        }
        const kernel = file.kernel ?? source.kernel ?? manifest.defaultKernel;
        const target = catalog.target({ kernel }).target;
        try {
          const text = fs.readFileSync(where, 'utf8');
          const { headers, unread } = readIncludes(where, text, { dirs: [] });
          for (const u of unread) problems.push(`${name}: "${u.name}" could not be read (${u.reason})`);
          const result = analyzer.analyze(text, target, catalog, { includes: { headers, unread } });
          files++;
          programs += result.model.programs.length;
          for (const f of result.failures) problems.push(`${name}: check ${f.check} failed: ${f.message}`);
          for (const f of result.findings) {
            findings.push({ file: name, line: f.range.start.line + 1, severity: f.severity, code: f.code, message: f.message });
          }
        } catch (err) {
          problems.push(`${name}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    analyzer.dispose();
  }
  const review = readReview();
  const out: string[] = [`${files} files, ${programs} LSM programs, ${findings.length} findings`, ''];
  const codes = [...new Set(findings.map((f) => `${f.code} ${f.severity}`))].sort();
  out.push('| code | severity | findings | reviewed true | reviewed false | unreviewed |', '| --- | --- | --- | --- | --- | --- |');
  for (const key of codes) {
    const [code, severity] = key.split(' ');
    const list = findings.filter((f) => f.code === code && f.severity === severity);
    const verdict = (f: Measured) => review.get(`${f.code}|${f.file}:${f.line}`);
    const right = list.filter((f) => verdict(f) === true).length;
    const wrong = list.filter((f) => verdict(f) === false).length;
    out.push(`| ${code} | ${severity} | ${list.length} | ${right} | ${wrong} | ${list.length - right - wrong} |`);
  }
  out.push('', 'Findings (code | severity | file:line | review | message):');
  for (const f of findings) {
    const v = review.get(`${f.code}|${f.file}:${f.line}`);
    out.push(`| ${f.code} | ${f.severity} | ${f.file}:${f.line} | ${v === undefined ? '?' : v} | ${f.message.replace(/\|/g, '\\|')} |`);
  }
  if (problems.length > 0) out.push('', 'Problems:', ...problems);
  process.stdout.write(`${out.join('\n')}\n`);
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ files, programs, findings, problems }, null, 2));
}

void main();
