// Every finding on every lint fixture in full, against a reviewed text file beside it
// (test/fixtures/lint-golden/<fixture>.txt): range, severity, code, message, related places, and each
// fix's title and edits. The annotation test (analysis.test.ts) says which codes fire where; this one
// catches a changed message, a range off by one, a fix that edits the wrong text. After a deliberate
// change, `UPDATE_GOLDEN=1 node --test out/test/unit/findingsGolden.test.js` rewrites the files: review
// the diff as you would the code.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import type { Finding } from '../../server/src/analysis/findings';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { fixtureKernel } from '../helpers/expectations';
import { FIXTURES, fixture } from '../helpers/paths';

const GOLDEN = path.join(FIXTURES, 'lint-golden');
const catalog = HookCatalog.bundled();
let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create();
});
after(() => analyzer.dispose());

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

describe('lint fixtures: every finding in full, as reviewed', () => {
  const dir = path.join(FIXTURES, 'lint');
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()) {
    it(file, () => {
      const text = fixture('lint', file);
      const found = describeFindings(analyzer.analyze(text, catalog.target({ kernel: fixtureKernel(text) }).target, catalog).findings);
      const golden = path.join(GOLDEN, `${file}.txt`);
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, found);
      assert.ok(fs.existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 and review it`);
      assert.equal(found, fs.readFileSync(golden, 'utf8'));
    });
  }
});
