// Every finding of a lint fixture in full, against a reviewed text file (test/fixtures/lint-golden/
// <fixture>.txt): range, severity, code, message, related places, and each fix's title and edits. The
// `// expect:` annotations say which codes fire where; this catches a changed message, a range off by
// one, a fix that edits the wrong text. After a deliberate change, UPDATE_GOLDEN=1 rewrites the files:
// review the diff as you would the code.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../../server/src/analysis/findings';
import { FIXTURES } from './paths';

const GOLDEN = path.join(FIXTURES, 'lint-golden');

type Range = Finding['range'];
const at = (r: Range) => `${r.start.line + 1}:${r.start.character + 1}-${r.end.line + 1}:${r.end.character + 1}`;

function describeFindings(findings: Finding[]): string {
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${at(f.range)} ${f.severity} ${f.code}: ${f.message}`);
    for (const r of f.related ?? []) out.push(`  related ${at(r.range)}: ${r.message}`);
    for (const fix of f.fixes ?? []) {
      out.push(`  fix${fix.preferred ? ' (preferred)' : ''}: ${fix.title}`);
      for (const e of fix.edits) out.push(`    ${at(e.range)} -> ${JSON.stringify(e.newText)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function assertGoldenFindings(fixtureName: string, findings: Finding[]): void {
  const found = describeFindings(findings);
  const golden = path.join(GOLDEN, `${fixtureName}.txt`);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, found);
  assert.ok(fs.existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(found, fs.readFileSync(golden, 'utf8'), `${fixtureName}: the findings differ from ${golden}`);
}
