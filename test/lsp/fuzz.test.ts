// A small, seeded slice of `npm run fuzz` (test/fuzz/run.ts): every kind of hostile document through the
// analysis in a watched child process, and edit sequences with every kind of hostile edit and malformed
// frame through the bundled server. Any crash, hang or oracle violation fails, naming its reproducer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAnalysisFuzz, type ProblemReport } from '../fuzz/analysisFuzz';
import { CASE_KINDS } from '../fuzz/cases';
import { runProtocolFuzz, type ProtocolProblem } from './fuzz';

function listed(problems: (ProblemReport | ProtocolProblem)[]): string {
  return problems
    .map(
      (p) =>
        `\n  ${p.count}× ${p.cls}: ${p.detail.split('\n')[0].slice(0, 160)}${p.reproducer ? `\n     ${p.reproducer.input ?? p.reproducer.json}` : ''}`,
    )
    .join('');
}

describe('fuzz (a slice; `npm run fuzz` runs the large one)', () => {
  it('analysis: 400 documents of every kind, and one at the size limit: no crash, hang or wrong result', async () => {
    const slice = await runAnalysisFuzz({ seed: 1, documents: 400, minimizeMs: 1000 });
    // A 4 MiB file takes the parser seconds on a loaded machine: a looser bound for that one.
    const limit = await runAnalysisFuzz({ seed: 1, from: 4999, documents: 1, minimizeMs: 1000, hangMs: 15_000 });
    const problems = [...slice.problems, ...limit.problems];
    assert.deepEqual(
      problems.map((p) => p.cls),
      [],
      listed(problems),
    );
    assert.deepEqual(Object.keys({ ...slice.byKind, ...limit.byKind }).sort(), [...CASE_KINDS].sort());
    assert.ok(slice.eolCompared >= 100 && slice.cliRuns >= 8, `${slice.eolCompared} line-ending comparisons, ${slice.cliRuns} linter runs`);
  });

  it('protocol: 100 edit sequences with hostile edits and malformed frames: alive, answering, incremental equals fresh', async () => {
    const r = await runProtocolFuzz({ seed: 1, sequences: 100, maxEdits: 8, hostileRate: 0.2, frameEvery: 7, largeDocuments: 1 });
    assert.deepEqual(
      r.problems.map((p) => p.cls),
      [],
      listed(r.problems),
    );
    assert.ok(r.alive, 'the server is not alive at the end');
    assert.ok(
      Object.keys(r.hostileEdits).length >= 9 && r.frames >= 13,
      `hostile edits ${JSON.stringify(r.hostileEdits)}, ${r.frames} frames`,
    );
    assert.ok(r.compared >= 50, `only ${r.compared} diagnostics compared`);
  });
});
