// @ts-check
// Lists what the last mutation run left: each surviving (S) and uncovered (NC) mutant, per file, with
// its line as written and what the mutant made of it. Stryker's HTML report shows the same in the
// source; this is for reading a run as a whole, and for writing down why each one is left.
//   node test/mutation/survivors.mjs [path-substring] [reports/mutation/mutation.json]
import * as fs from 'node:fs';

const [want = '', report = 'reports/mutation/mutation.json'] = process.argv.slice(2);
/** @type {{ files: Record<string, { source: string, mutants: { status: string, mutatorName: string, replacement?: string, location: { start: { line: number } } }[] }> }} */
const { files } = JSON.parse(fs.readFileSync(report, 'utf8'));

const oneLine = (/** @type {string} */ s, /** @type {number} */ max) => s.replace(/\s+/g, ' ').trim().slice(0, max);

for (const [name, file] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
  if (!name.includes(want)) continue;
  /** @type {Record<string, number>} */
  const counts = {};
  for (const m of file.mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const left = file.mutants
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .sort((a, b) => a.location.start.line - b.location.start.line);
  const all = detected + left.length;
  if (all === 0) continue;
  console.log(`${name}: ${((100 * detected) / all).toFixed(1)} % ${JSON.stringify(counts)}`);
  const lines = file.source.split('\n');
  for (const m of left) {
    const line = m.location.start.line;
    const tag = m.status === 'Survived' ? 'S ' : 'NC';
    console.log(`  ${tag} ${line}: ${m.mutatorName} [${oneLine(lines[line - 1] ?? '', 90)}] -> ${oneLine(m.replacement ?? '', 70)}`);
  }
}
