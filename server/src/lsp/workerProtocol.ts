// Messages between the language server and its analysis worker (analysisHost.ts starts the worker,
// analysisWorker.ts is the worker). Everything here crosses threads by structured clone: plain data only.
import type { AnalysisOptions, CheckFailure } from '../analysis/analyze';
import type { Finding, Range } from '../analysis/findings';
import type { ResolvedIncludes } from '../analysis/includes';
import type { KernelTarget } from '../hooks/catalog';

/** What hovers need of one program: where its hook name and macro are, with their ranges. */
export interface ProgramSpan {
  hook: string;
  name: string;
  kind: 'lsm' | 'lsm.s' | 'lsm_cgroup';
  /** The function body's offsets (-1 without a body): hover and completion of helper and kfunc calls. */
  bodyStart: number;
  bodyEnd: number;
  hookStart: number;
  hookEnd: number;
  macroStart: number;
  macroEnd: number;
  hookRange: Range;
  macroRange: Range;
}

/** The worker's answer for one document. */
export type WorkerAnalysis =
  /** `failures`: checks that threw while the others ran; `ms`: how long the parse and the checks took. */
  | { kind: 'analysed'; findings: Finding[]; programs: ProgramSpan[]; failures: CheckFailure[]; ms: number }
  | { kind: 'parse-gave-up' }
  /** The analysis threw: nothing could be computed. */
  | { kind: 'failed'; message: string };

export type ToWorker =
  | { type: 'configure'; target: KernelTarget; options: AnalysisOptions }
  | { type: 'open'; uri: string; languageId: string; version: number; text: string }
  /** The changes exactly as the client sent them: the worker's copy of the text normalises them alike. */
  | { type: 'change'; uri: string; version: number; changes: unknown[] }
  | { type: 'close'; uri: string }
  /** `includes`: the document's local headers as the server read them (from the editor or the disk). */
  | { type: 'analyse'; id: number; uri: string; includes?: ResolvedIncludes };

/** Where the worker's start-up went: times of its thread's clock (performance.now()), and that clock's origin. */
export interface WorkerStartup {
  origin: number;
  /** Its code loaded (the bundle compiled, the worker's modules evaluated). */
  loadedAt: number;
  /** The bundled hook tables unpacked. */
  tablesMs: number;
  /** tree-sitter's runtime and the C grammar (WASM) compiled and instantiated, after the tables. */
  parserMs: number;
  readyAt: number;
}

export type FromWorker =
  | { type: 'ready'; startup?: WorkerStartup }
  | { type: 'failed-to-start'; message: string }
  /** `memoryBytes`: the worker's external memory, which holds tree-sitter's WASM memory. */
  | { type: 'result'; id: number; analysis: WorkerAnalysis; memoryBytes: number }
  /** The WASM module trapped (it cannot be trusted any more): the worker waits to be terminated. */
  | { type: 'crashed'; uri?: string; message: string }
  | { type: 'log'; message: string };
