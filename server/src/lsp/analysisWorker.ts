// The analysis worker: keeps the parse trees and runs the checks in a thread of its own (the same script
// as the server, see server.ts). tree-sitter's WASM memory only ever grows, and a trap in the WASM parser
// (a stack overflow on some deeply nested expressions) corrupts the module for good; in a worker both end
// with the thread, not with the language server.
import { parentPort, type MessagePort } from 'node:worker_threads';
import type { Parser } from 'web-tree-sitter';
import { analyzeTree, type AnalysisOptions, type AnalysisResult } from '../analysis/analyze';
import { createCParser, loadCLanguage, parseC } from '../analysis/cParser';
export { useCompiledParserWasm } from '../analysis/cParser';
import type { ResolvedIncludes } from '../analysis/includes';
import { HookCatalog, type KernelTarget } from '../hooks/catalog';
import { DocumentStore } from './documentStore';
import type { FromWorker, ProgramSpan, ToWorker, WorkerAnalysis } from './workerProtocol';

/** tree-sitter's WASM memory may grow to this; a parse that needs more fails (a notice), not the server. */
export const MAX_PARSER_MEMORY = 256 * 1024 * 1024;
const WASM_PAGE = 65536;

// Not in this project's TypeScript lib; only Memory is used.
declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

export interface WorkerOptions {
  /**
   * false when this runs in a thread that may have loaded the parser already (the in-thread analysis of
   * the mutation run, inThreadAnalysis.ts), whose memory is then not this worker's to bound.
   */
  ownParserMemory?: boolean;
  /**
   * Called once, after the first analysis and before its answer is sent: the shipped entry saves its code
   * cache then (once; later starts take it), so that a server stopped at its first diagnostics has one too.
   */
  afterFirstAnalysis?: () => void;
}

/** `port`: the server's end (the worker thread's parent port by default). */
export function runAnalysisWorker(
  port: MessagePort | null = parentPort,
  { ownParserMemory = true, afterFirstAnalysis }: WorkerOptions = {},
): void {
  const loadedAt = performance.now();
  if (!port) throw new Error('runAnalysisWorker() runs in a worker thread');
  const post = (m: FromWorker) => port.postMessage(m);
  let target: KernelTarget | undefined;
  let options: AnalysisOptions = {};
  let store: DocumentStore | undefined;
  let broken = false;
  const waiting: ToWorker[] = [];

  const handle = (m: ToWorker): void => {
    if (broken || !store) return;
    try {
      switch (m.type) {
        case 'configure':
          target = m.target;
          options = m.options;
          break;
        case 'open':
          store.open(m.uri, m.languageId, m.version, m.text);
          break;
        case 'change':
          store.change(m.uri, m.version, m.changes);
          break;
        case 'close':
          store.close(m.uri);
          break;
        case 'analyse': {
          const analysis = analyse(store, m.uri, m.includes);
          afterFirstAnalysis?.();
          afterFirstAnalysis = undefined;
          reply(m.id, analysis);
          break;
        }
      }
    } catch (err) {
      // The checks' own errors are answered in analyse(); what gets here came from the parser or the
      // trees, whose WASM state can no longer be trusted. The host terminates this worker.
      broken = true;
      const outOfMemory =
        isWasmTrap(err) && /^Aborted/.test((err as Error).message) && !!memory && memory.buffer.byteLength > MAX_PARSER_MEMORY / 2;
      const message = outOfMemory ? `it needs more than the ${MAX_PARSER_MEMORY / 1048576} MB of memory the parser may use` : describe(err);
      post({ type: 'crashed', uri: 'uri' in m ? m.uri : undefined, message });
    }
  };

  const reply = (id: number, analysis: WorkerAnalysis): void => {
    const memoryBytes = process.memoryUsage().external;
    try {
      post({ type: 'result', id, analysis, memoryBytes });
    } catch (err) {
      post({ type: 'result', id, analysis: { kind: 'failed', message: `the result could not be sent: ${describe(err)}` }, memoryBytes });
    }
  };

  const analyse = (s: DocumentStore, uri: string, includes: ResolvedIncludes | undefined): WorkerAnalysis => {
    const entry = s.get(uri);
    if (!entry || !target) return { kind: 'failed', message: 'the analysis worker was not given this document' };
    const started = performance.now();
    const tree = s.tree(entry);
    if (!tree) return { kind: 'parse-gave-up' };
    let result: AnalysisResult;
    try {
      result = analyzeTree(tree, entry.doc.getText(), target, catalog, includes ? { ...options, includes } : options);
    } catch (err) {
      if (isWasmTrap(err)) throw err;
      post({ type: 'log', message: `analysis of ${uri} failed: ${(err as Error)?.stack ?? err}` });
      return { kind: 'failed', message: describe(err) };
    }
    return {
      kind: 'analysed',
      findings: result.findings,
      programs: programSpans(result),
      failures: result.failures,
      ms: performance.now() - started,
    };
  };

  port.on('message', (m: ToWorker) => {
    if (store) handle(m);
    else waiting.push(m);
  });
  // A worker thread's trees go with the thread; one in the server's thread goes when its port closes.
  port.on('close', () => store?.dispose());
  // The parser's runtime keeps the first memory it is given in this thread: given here first, it has a maximum.
  const memory = ownParserMemory
    ? new WebAssembly.Memory({ initial: (32 * 1048576) / WASM_PAGE, maximum: MAX_PARSER_MEMORY / WASM_PAGE })
    : undefined;
  const parserStart = performance.now();
  const parsing = loadCLanguage(memory).then(() => createCParser());
  // Unpacked while V8 compiles the WASM in the background.
  const catalog = HookCatalog.bundled();
  const tablesMs = performance.now() - parserStart;
  parsing.then(
    (parser) => {
      // Malformed changes are logged by the server's own store, which drops them alike.
      store = new DocumentStore(parser);
      const readyAt = performance.now();
      post({
        type: 'ready',
        startup: { origin: performance.timeOrigin, loadedAt, tablesMs, parserMs: readyAt - parserStart - tablesMs, readyAt },
      });
      const queued = waiting.splice(0);
      for (const m of queued) handle(m);
      // No document to analyse yet (the server is still answering `initialize`): warm up for the first one.
      if (!queued.some((m) => m.type === 'analyse'))
        setImmediate(() => {
          const warming = performance.now();
          if (warmUp(parser, catalog))
            post({ type: 'log', message: `analysis worker warmed up in ${(performance.now() - warming).toFixed(0)} ms` });
        });
    },
    (err) => post({ type: 'failed-to-start', message: describe(err) }),
  );
}

/** What a worker analyses once while it waits for its first document (see warmUp). */
const WARM_UP_PROGRAM = `#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
SEC("lsm/file_open")
int BPF_PROG(warm_up, struct file *file, int ret)
{
	char name[16] = {};
	if (ret != 0)
		return ret;
	bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
	if (name[0] != 'x')
		return 0;
	return -1;
}
`;

/**
 * Analyses a small program, for nothing but what it leaves behind: V8 compiles the grammar's WASM
 * functions and the checks' code when they first run, and a hook table is unpacked when first used.
 * The first document then takes a few ms, not about 40 (a 30-line program, bench/server.ts).
 */
function warmUp(parser: Parser, catalog: HookCatalog): boolean {
  try {
    const tree = parseC(parser, WARM_UP_PROGRAM);
    if (!tree) return false;
    try {
      analyzeTree(tree, WARM_UP_PROGRAM, catalog.target().target, catalog);
      return true;
    } finally {
      tree.delete();
    }
  } catch {
    // Only a head start: the first real analysis reports whatever is wrong.
    return false;
  }
}

function programSpans(result: AnalysisResult): ProgramSpan[] {
  const { index, programs } = result.model;
  return programs.map((p) => ({
    hook: p.hook,
    name: p.name,
    kind: p.kind,
    bodyStart: p.body ? p.body.startIndex : -1,
    bodyEnd: p.body ? p.body.endIndex : -1,
    hookStart: p.hookStart,
    hookEnd: p.hookEnd,
    macroStart: p.macroStart,
    macroEnd: p.macroEnd,
    hookRange: index.range(p.hookStart, p.hookEnd),
    macroRange: index.range(p.macroStart, p.macroEnd),
  }));
}

/** A WebAssembly.RuntimeError: a trap (or an abort) in WASM code, after which its state is unknown. */
function isWasmTrap(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
