// The diagnostics feature on analyses that did not run in full, with the analysis stubbed (no server,
// no worker): checks that failed while others ran (`failures`), an analysis that threw, a parser that
// gave up. The findings that were computed are published, with a notice; the user is told once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublishDiagnosticsParams } from 'vscode-languageserver';
import type { ServerContext, DocumentAnalysis } from '../../server/src/lsp/context';
import { DocumentStore } from '../../server/src/lsp/documentStore';
import { DiagnosticsFeature } from '../../server/src/lsp/features/diagnostics';
import { FAILURE_LOG } from './lspClient';

const URI = 'file:///work/prog.bpf.c';

/** A feature whose analysis is `analyse()`, and what it sent to the client. */
function harness(analyse: () => Promise<DocumentAnalysis>) {
  const published: PublishDiagnosticsParams[] = [];
  const shown: string[] = [];
  const logged: string[] = [];
  let arrived: (() => void) | undefined;
  const connection = {
    sendDiagnostics: async (p: PublishDiagnosticsParams) => {
      published.push(p);
      arrived?.();
    },
    console: { log() {}, info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) },
    window: { showWarningMessage: async (m: string) => void shown.push(m), showErrorMessage: async (m: string) => void shown.push(m) },
  };
  const store = new DocumentStore();
  store.open(URI, 'c', 1, 'SEC("lsm/file_open")\n');
  const ctx = { connection, store, settings: { debounceMs: 0 }, analysis: analyse } as unknown as ServerContext;
  const feature = new DiagnosticsFeature(ctx);
  const run = () =>
    new Promise<PublishDiagnosticsParams>((resolve) => {
      arrived = () => resolve(published[published.length - 1]);
      feature.schedule(URI, true);
    });
  return { run, shown, logged, feature };
}

const finding = {
  code: 'license' as const,
  severity: 'error' as const,
  range: { start: { line: 0, character: 0 }, end: { line: 0, character: 20 } },
  message: 'no licence',
};

describe('diagnostics when the analysis did not run in full', () => {
  it('publishes the findings of the checks that ran, a notice per failed check, and says so once', async () => {
    const { run, shown } = harness(async () => ({
      kind: 'analysed',
      findings: [finding],
      programs: [],
      failures: [{ check: 'missing-ret-passthrough', program: 'restrict', message: 'Maximum call stack size exceeded' }],
      ms: 1,
    }));
    const notice =
      "The BPF LSM check 'missing-ret-passthrough' failed on program 'restrict' (Maximum call stack size exceeded); its findings are missing, the other checks' are shown.";
    for (let i = 0; i < 3; i++) {
      const { diagnostics } = await run();
      assert.deepEqual(
        diagnostics.map((d) => [d.code, d.severity, d.message]),
        [
          ['license', 1, 'no licence'],
          [undefined, 2, notice],
        ],
      );
      assert.deepEqual(diagnostics[1].range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    }
    assert.deepEqual(shown, [`prog.bpf.c: ${notice}`]);
  });

  it('an analysis that throws gives a notice, not an empty list', async () => {
    const { run, shown } = harness(async () => {
      throw new TypeError('x is undefined');
    });
    const notice = 'BPF LSM analysis failed on this file (TypeError: x is undefined); no findings could be computed.';
    assert.deepEqual(
      (await run()).diagnostics.map((d) => [d.severity, d.message]),
      [[2, notice]],
    );
    await run();
    assert.deepEqual(shown, [`prog.bpf.c: ${notice}`]);
  });

  it('a parse that gave up, and a parser that crashed, each give a notice', async () => {
    assert.deepEqual(
      (await harness(async () => ({ kind: 'parse-gave-up' })).run()).diagnostics.map((d) => d.message),
      ["BPF LSM analysis gave up parsing this file (it needs more than the parser's work limit); diagnostics are paused until it changes."],
    );
    const crashed = harness(async () => ({ kind: 'parser-crashed', message: 'RuntimeError: memory access out of bounds' }));
    assert.deepEqual(
      (await crashed.run()).diagnostics.map((d) => d.message),
      ['The C parser failed on this file (RuntimeError: memory access out of bounds); BPF LSM diagnostics resume when it changes.'],
    );
    assert.equal(crashed.shown.length, 1);
  });

  it('logs each failure in words the LSP tests refuse (FAILURE_LOG), and a parse that gave up in others', async () => {
    const failing: (() => Promise<DocumentAnalysis>)[] = [
      async () => ({ kind: 'analysed', findings: [], programs: [], failures: [{ check: 'license', message: 'boom' }], ms: 1 }),
      async () => {
        throw new TypeError('x is undefined');
      },
      async () => ({ kind: 'failed', message: 'the document closed' }),
      async () => ({ kind: 'parser-crashed', message: 'RuntimeError: unreachable' }),
      async () => ({ kind: 'unavailable', message: 'the analysis worker could not start' }),
    ];
    for (const analyse of failing) {
      const { run, logged } = harness(analyse);
      await run();
      assert.ok(logged.length > 0 && logged.some((l) => FAILURE_LOG.test(l)), logged.join('\n'));
    }
    const { run, logged } = harness(async () => ({ kind: 'parse-gave-up' }));
    await run();
    assert.deepEqual(
      logged.filter((l) => FAILURE_LOG.test(l)),
      [],
    );
  });
});

describe('diagnostics: what the user is told, and how often', () => {
  const MB = 1024 * 1024;
  /** A feature whose analyses are `answers`, in turn (one a run). */
  const sequence = (answers: (() => Promise<DocumentAnalysis>)[]) => harness(() => answers.shift()!());
  const messages = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => d.message);

  it('tells once per document and problem, each problem on its own, and again once the document was closed', async () => {
    const thrown = 'BPF LSM analysis failed on this file (TypeError: x is undefined); no findings could be computed.';
    const failed = 'BPF LSM analysis failed on this file (the document closed); no findings could be computed.';
    const checkFailed = (check: string) =>
      `The BPF LSM check '${check}' failed on this file (boom); its findings are missing, the other checks' are shown.`;
    const { run, shown, feature } = sequence([
      async () => {
        throw new TypeError('x is undefined');
      },
      // The same problem (the analysis failed) in other words: not told again.
      async () => ({ kind: 'failed', message: 'the document closed' }),
      async () => ({ kind: 'analysed', findings: [], programs: [], failures: [{ check: 'license', message: 'boom' }], ms: 1 }),
      async () => ({ kind: 'analysed', findings: [], programs: [], failures: [{ check: 'hook-exists', message: 'boom' }], ms: 1 }),
      async () => ({ kind: 'unavailable', message: 'the analysis worker could not start' }),
      async () => ({ kind: 'parser-crashed', message: 'RuntimeError: unreachable' }),
      async () => {
        throw new TypeError('x is undefined');
      },
    ]);
    assert.deepEqual(messages(await run()), [thrown]);
    assert.deepEqual(messages(await run()), [failed]);
    assert.deepEqual(messages(await run()), [checkFailed('license')]);
    assert.deepEqual(messages(await run()), [checkFailed('hook-exists')]);
    const unavailable = 'BPF LSM analysis is unavailable: the analysis worker could not start. Try BPF LSM: Restart Language Server.';
    assert.deepEqual(messages(await run()), [unavailable]);
    const crashed = 'The C parser failed on this file (RuntimeError: unreachable); BPF LSM diagnostics resume when it changes.';
    assert.deepEqual(messages(await run()), [crashed]);
    assert.deepEqual(
      shown.map((m) => m.replace('prog.bpf.c: ', '')),
      [thrown, checkFailed('license'), checkFailed('hook-exists'), unavailable, crashed],
    );
    feature.clear(URI);
    await run();
    assert.equal(shown.at(-1), `prog.bpf.c: ${thrown}`, 'told again after the document was closed');
    assert.equal(shown.length, 6);
  });

  it('logs what was thrown with its stack, and whatever else was thrown as it is', async () => {
    const { run, logged } = sequence([
      async () => {
        throw new TypeError('x is undefined');
      },
    ]);
    await run();
    const line = logged.find((l) => l.startsWith(`analysis of ${URI} failed: `));
    assert.ok(line?.startsWith(`analysis of ${URI} failed: TypeError: x is undefined\n    at `), line);
    for (const [value, words] of [
      [undefined, 'undefined'],
      ['boom', 'boom'],
    ] as const) {
      const other = sequence([
        async () => {
          throw value;
        },
      ]);
      assert.deepEqual(messages(await other.run()), [`BPF LSM analysis failed on this file (${words}); no findings could be computed.`]);
      assert.ok(other.logged.includes(`analysis of ${URI} failed: ${words}`), other.logged.join('\n'));
    }
  });

  it('gives the size of a file too large with two decimals below 10 MB and one from there', async () => {
    for (const [length, size] of [
      [4.1 * MB, '4.10'],
      [10 * MB - 1, '10.00'],
      [10 * MB, '10.0'],
      [10.56 * MB, '10.6'],
    ] as const) {
      const { run, shown } = sequence([async () => ({ kind: 'too-large', length })]);
      const [d] = (await run()).diagnostics;
      assert.deepEqual([d.message, d.severity], [`File too large for BPF LSM analysis (${size} MB; the limit is 4 MB).`, 3]);
      assert.deepEqual(shown, [], 'a notice on the document, not a message');
    }
  });

  it('analyses one text at a time: a run asked for meanwhile waits, and only the newest is published', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    let release: (() => void) | undefined;
    const { feature, run } = harness(async () => {
      calls++;
      most = Math.max(most, ++running);
      if (calls === 1) await new Promise<void>((r) => (release = r));
      running--;
      return { kind: 'analysed', findings: [], programs: [], failures: [], ms: 1 };
    });
    const published = run();
    await new Promise((r) => setTimeout(r, 20));
    feature.schedule(URI, true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls, 1, 'the second run waits for the first');
    release!();
    await published;
    assert.deepEqual([calls, most], [2, 1]);
  });
});
