// Fuzzes the real server (dist/server.js) through the protocol, in edit sequences. A sequence opens a
// document (a real program, a mutant or a hostile one from test/fuzz/corpora.ts), or takes one of a few
// long-lived ones, and sends typing-sized edits mixed with hostile ones: reversed ranges, positions past
// a line or the document or negative, `{text, rangeLength}` without a range, a second didOpen (at the same
// version or another), a version sent twice, hostile text. Hover, completion and code actions come at
// random places. Now and then a malformed frame or malformed params. After each sequence:
//   - the server is alive and answers a request within the reply bound;
//   - its last diagnostics are for the last version sent and equal those of the same text opened fresh;
//   - nothing it published shows JavaScript internals, and every range lies inside the document;
//   - it logged no failure.
// The server's memory is sampled throughout (peak, and after every document is closed).
import * as fs from 'node:fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import {
  BUILTIN_NAMES,
  builtinNames,
  deepNesting,
  hugeLine,
  invalidUtf8,
  nearLimit,
  nested,
  nuls,
  PIECES,
  seedPrograms,
  SERVER_SIZE_LIMIT,
  soup,
  withLineEndings,
} from '../fuzz/corpora';
import { mutate } from '../fuzz/mutate';
import { crashClass, lspLineLengths, rangeProblems, suspiciousText, type Problem } from '../fuzz/oracles';
import { minimizeList, REPRODUCER_DIR, saveReproducer, type SavedReproducer } from '../fuzz/reproducers';
import { Rng } from '../fuzz/rng';
import { LspTestClient } from './lspClient';

// ---- steps: what the fuzzer sends, recorded so that a failure can be replayed and shrunk -------------

type Position = { line: number; character: number };
type Change = { range?: { start: Position; end: Position } | null; rangeLength?: number; text: string };

export type Step =
  | { op: 'open'; uri: string; version: number; text: string }
  | { op: 'change'; uri: string; version: number; changes: Change[]; hostile?: string }
  | { op: 'close'; uri: string };

/** What LSP says a change does: a range is sorted and clamped to the text; no range replaces it all. */
export function applyChange(doc: TextDocument, change: Change, version: number): TextDocument {
  if (!change.range) return TextDocument.create(doc.uri, doc.languageId, version, change.text);
  const [a, b] = [doc.offsetAt(change.range.start), doc.offsetAt(change.range.end)].sort((x, y) => x - y);
  const text = doc.getText();
  return TextDocument.create(doc.uri, doc.languageId, version, text.slice(0, a) + change.text + text.slice(b));
}

/** The client's view of the documents after `step`. */
function model(docs: Map<string, TextDocument>, step: Step): void {
  if (step.op === 'open') docs.set(step.uri, TextDocument.create(step.uri, 'c', step.version, step.text));
  else if (step.op === 'close') docs.delete(step.uri);
  else {
    let doc = docs.get(step.uri);
    if (!doc) return;
    for (const c of step.changes) doc = applyChange(doc, c, step.version);
    docs.set(step.uri, TextDocument.create(step.uri, 'c', step.version, doc.getText()));
  }
}

async function send(lsp: LspTestClient, step: Step): Promise<void> {
  const c = lsp.connection;
  if (step.op === 'open')
    await c.sendNotification('textDocument/didOpen', {
      textDocument: { uri: step.uri, languageId: 'c', version: step.version, text: step.text },
    });
  else if (step.op === 'change')
    await c.sendNotification('textDocument/didChange', {
      textDocument: { uri: step.uri, version: step.version },
      contentChanges: step.changes,
    });
  else await c.sendNotification('textDocument/didClose', { textDocument: { uri: step.uri } });
}

// ---- edits ------------------------------------------------------------------------------------------

/** The fuzzer reads the server's failure lines itself (loggedFailures) and reports each with its reproducer. */
const FUZZ_CLIENT = { expectFailures: true };

const TYPED = 'abcdefghijklmnopqrstuvwxyz_0123456789 (){};,*\n"/';

/** Text a hostile edit inserts. */
function hostileText(rng: Rng): string {
  switch (rng.int(8)) {
    case 0:
      return rng.pick(BUILTIN_NAMES);
    case 1:
      return rng.pick(['\0', '\r', '\r\n', '\ud800', '\udfff', '\ufeff', '\u2028', '\ufffd', '\x1b[2J']);
    case 2:
      return nested(rng.pick(['braces', 'ifs', 'parens', 'preproc-if', 'else-ifs'] as const), rng.pick([50, 500, 6000]));
    case 3:
      return 'x'.repeat(rng.pick([1000, 100_000]));
    case 4:
      return `SEC("lsm/${rng.pick(BUILTIN_NAMES)}")\nint BPF_PROG(p, struct file *file, int ret)\n{\n    return ${rng.pick(BUILTIN_NAMES)};\n}\n`;
    case 5:
      return withLineEndings(rng.pick(seedPrograms()).text, rng.pick(['cr', 'crlf', 'mixed'] as const), rng);
    default:
      return rng.pick(PIECES);
  }
}

/** A typing-sized edit: mostly inserts of a character or a piece, some deletions. */
function typingChange(rng: Rng, doc: TextDocument): Change {
  const len = doc.getText().length;
  const a = rng.int(len + 1);
  const kind = rng.int(10);
  const b = Math.min(len, a + (kind < 6 ? 0 : kind < 9 ? 1 + rng.int(3) : rng.int(40)));
  const form = rng.int(5);
  const text = form < 2 ? TYPED[rng.int(TYPED.length)] : form < 4 ? rng.pick(PIECES) : '';
  return { range: { start: doc.positionAt(a), end: doc.positionAt(b) }, text };
}

const HOSTILE_EDITS = [
  'reversed-range',
  'out-of-range',
  'rangeless-with-length',
  'reopen-same-version',
  'reopen-other-version',
  'version-repeated',
  'hostile-text',
  'hostile-document',
  'batch',
] as const;
type HostileEdit = (typeof HOSTILE_EDITS)[number];

/** A position past its line, past the document, or negative. */
function outOfRange(rng: Rng, doc: TextDocument): Position {
  const p = doc.positionAt(rng.int(doc.getText().length + 1));
  switch (rng.int(5)) {
    case 0:
      return { line: p.line, character: p.character + 1 + rng.int(500) };
    case 1:
      return { line: doc.lineCount + rng.int(1000), character: rng.int(50) };
    case 2:
      return { line: -1 - rng.int(3), character: rng.int(10) };
    case 3:
      return { line: p.line, character: -1 - rng.int(10) };
    default:
      return { line: 2 ** 31 - 1, character: 2 ** 31 - 1 };
  }
}

// ---- the run ----------------------------------------------------------------------------------------

/**
 * With every document closed the server may keep caches and a warm parser, not what the documents took:
 * more than this over its memory at the start is memory it did not give back.
 */
export const MEMORY_KEPT_MIB = 160;

/** Diagnostics (of the edited document, or of its text opened fresh) did not come within the reply bound. */
const SLOW = 'hang: no diagnostics within the reply bound';

export interface ProtocolFuzzOptions {
  seed: number;
  sequences: number;
  /** Long-lived documents that collect edits across sequences (reopened fresh every 25 sequences). */
  resident?: number;
  /** Edits per sequence: 1 to this many. */
  maxEdits?: number;
  /** Share of edits of a hostile kind. */
  hostileRate?: number;
  /** A malformed frame or malformed params every this many sequences (0: never). */
  frameEvery?: number;
  /** A request is not answered, or diagnostics do not come, within this: the server stopped replying. */
  replyMs?: number;
  /** Documents just under the size limit opened and closed at the end, before the memory check (default 3). */
  largeDocuments?: number;
  reproducerDir?: string;
  /** Progress lines, every ~10 s. */
  log?: (line: string) => void;
}

export interface ProtocolProblem {
  cls: string;
  count: number;
  sequence: number;
  detail: string;
  reproducer?: SavedReproducer;
  /** Steps of the first failing sequence, and after shrinking. */
  steps?: number;
  shrunkSteps?: number;
}

export interface ProtocolFuzzResult {
  sequences: number;
  edits: number;
  hostileEdits: Record<string, number>;
  requests: number;
  frames: number;
  /** Diagnostics compared between incremental and fresh. */
  compared: number;
  seconds: number;
  problems: ProtocolProblem[];
  /** Server restarts after it died or stopped replying. */
  restarts: number;
  alive: boolean;
  memory: { startMiB: number; peakMiB: number; afterCloseMiB: number; samplesMiB: number[] };
  /** Time to the diagnostics of each document just under the size limit, ms. */
  largeDocumentMs: number[];
}

interface Doc {
  uri: string;
  resident: boolean;
  /** Everything sent for it since it was opened (for reproducers). */
  steps: Step[];
  /** Sequences it has lived through (resident documents are reopened fresh now and then). */
  age: number;
  /** The highest version sent: ordinary edits go on from it even after a version was repeated. */
  maxVersion: number;
}

const diagnosticKey = (d: Diagnostic) => JSON.stringify([d.code, d.range, d.message, d.severity]);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

/** Malformed frames and params: after each, the server must still answer. */
const FRAMES: { name: string; raw?: string; notify?: [string, unknown] }[] = [
  { name: 'header-without-content-length', raw: 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n' },
  { name: 'content-length-not-a-number', raw: 'Content-Length: twelve\r\n\r\n' },
  { name: 'header-line-without-colon', raw: 'garbage header\r\n\r\n' },
  { name: 'negative-content-length', raw: 'Content-Length: -5\r\n\r\n' },
  { name: 'body-not-json', raw: 'Content-Length: 5\r\n\r\nhello' },
  { name: 'body-json-not-an-object', raw: 'Content-Length: 4\r\n\r\nnull' },
  { name: 'lf-only-header', raw: 'Content-Length: 2\n\n{}' },
  {
    name: 'did-change-null-changes',
    notify: ['textDocument/didChange', { textDocument: { uri: 'file:///fuzz/frame.bpf.c', version: 9 }, contentChanges: null }],
  },
  {
    name: 'did-change-bad-change',
    notify: [
      'textDocument/didChange',
      {
        textDocument: { uri: 'file:///fuzz/frame.bpf.c', version: 9 },
        contentChanges: [null, { text: 5 }, { range: { start: 'a' }, text: 'x' }],
      },
    ],
  },
  {
    name: 'did-open-without-text',
    notify: ['textDocument/didOpen', { textDocument: { uri: 'file:///fuzz/frame2.bpf.c', languageId: 'c', version: 1 } }],
  },
  { name: 'did-open-null', notify: ['textDocument/didOpen', null] },
  { name: 'did-close-unknown', notify: ['textDocument/didClose', { textDocument: { uri: 'file:///never/opened.bpf.c' } }] },
  {
    name: 'did-change-unknown',
    notify: [
      'textDocument/didChange',
      { textDocument: { uri: 'file:///never/opened.bpf.c', version: 2 }, contentChanges: [{ text: 'x' }] },
    ],
  },
];

let probeCount = 0;

/**
 * Writes a raw frame and, in the same write, a hover request: jsonrpc readers that stop at a bad header
 * leave what follows it unread until more input comes, so the request must not arrive on its own. The
 * answer is looked for on the server's output directly (its id is not one the connection knows).
 */
async function answersAfterRawFrame(lsp: LspTestClient, raw: string, uri: string, timeoutMs: number): Promise<boolean> {
  const id = `fuzz-probe-${probeCount++}`;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'textDocument/hover',
    params: { textDocument: { uri }, position: { line: 0, character: 0 } },
  });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString('latin1');
  };
  lsp.process.stdout!.on('data', onData);
  try {
    await new Promise<void>((resolve, reject) =>
      lsp.process.stdin!.write(`${raw}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, (err) => (err ? reject(err) : resolve())),
    );
    const deadline = performance.now() + timeoutMs;
    while (!out.includes(`"${id}"`) && performance.now() < deadline && lsp.alive) await new Promise((r) => setTimeout(r, 20));
    return out.includes(`"${id}"`);
  } finally {
    lsp.process.stdout!.off('data', onData);
  }
}

export async function runProtocolFuzz(options: ProtocolFuzzOptions): Promise<ProtocolFuzzResult> {
  const rng = new Rng(options.seed);
  const replyMs = options.replyMs ?? 10_000;
  const hostileRate = options.hostileRate ?? 0.15;
  const maxEdits = options.maxEdits ?? 12;
  const frameEvery = options.frameEvery ?? 100;
  const dir = options.reproducerDir ?? REPRODUCER_DIR;
  const seeds = seedPrograms();
  const t0 = performance.now();
  const result: ProtocolFuzzResult = {
    sequences: 0,
    edits: 0,
    hostileEdits: {},
    requests: 0,
    frames: 0,
    compared: 0,
    seconds: 0,
    problems: [],
    restarts: 0,
    alive: false,
    memory: { startMiB: 0, peakMiB: 0, afterCloseMiB: 0, samplesMiB: [] },
    largeDocumentMs: [],
  };
  const problems = new Map<string, ProtocolProblem>();
  /** Frames that already broke the server are not sent again (each costs a reply timeout). */
  const brokenFrames = new Set<string>();

  let lsp = await LspTestClient.start({ debounceMs: 0 }, FUZZ_CLIENT);
  result.memory.startMiB = lsp.rssMiB();
  const models = new Map<string, TextDocument>();
  const resident: Doc[] = [];
  let uriCount = 0;
  let lastProgress = performance.now();

  const sampleMemory = () => {
    if (!lsp.alive) return;
    const rss = lsp.rssMiB();
    result.memory.peakMiB = Math.max(result.memory.peakMiB, rss);
    return rss;
  };

  const record = (seq: number, p: Problem, steps?: Step[], shrunk?: Step[]) => {
    const known = problems.get(p.cls);
    if (known) {
      known.count++;
      return;
    }
    const entry: ProtocolProblem = {
      cls: p.cls,
      count: 1,
      sequence: seq,
      detail: p.detail,
      steps: steps?.length,
      shrunkSteps: shrunk?.length,
    };
    if (steps) {
      entry.reproducer = saveReproducer(dir, 'lsp', p.cls, {
        kind: 'protocol',
        seed: options.seed,
        sequence: seq,
        detail: p.detail,
        stack: p.stack,
        steps: shrunk ?? steps,
        original: shrunk ? steps : undefined,
      });
    }
    problems.set(p.cls, entry);
  };

  const restart = async () => {
    await lsp.stop();
    lsp = await LspTestClient.start({ debounceMs: 0 }, FUZZ_CLIENT);
    result.restarts++;
    // The long-lived documents go on from their text, opened anew.
    const texts = resident.map(currentText);
    models.clear();
    for (const [i, d] of resident.entries()) {
      d.steps = [{ op: 'open', uri: d.uri, version: 1, text: texts[i] }];
      d.age = 0;
      d.maxVersion = 1;
      await send(lsp, d.steps[0]);
      model(models, d.steps[0]);
    }
  };

  /** The text the client has for the document (its model). */
  const currentText = (d: Doc) => models.get(d.uri)?.getText() ?? '';

  const newDocument = (isResident: boolean): Doc => {
    const uri = rng.chance(0.05) ? `file:///fuzz/${rng.pick(BUILTIN_NAMES)}/${uriCount++}.bpf.c` : `file:///fuzz/doc-${uriCount++}.bpf.c`;
    return { uri, resident: isResident, steps: [], age: 0, maxVersion: 0 };
  };

  const initialText = (): string => {
    const roll = rng.int(100);
    if (roll < 35) return rng.pick(seeds).text;
    if (roll < 75)
      return mutate(
        rng,
        rng.pick(seeds).text,
        seeds.map((s) => s.text),
      ).text;
    if (roll < 82) return builtinNames(rng);
    if (roll < 86) return withLineEndings(rng.pick(seeds).text, rng.pick(['crlf', 'cr', 'mixed', 'lone-cr'] as const), rng);
    if (roll < 89) return invalidUtf8(rng, rng.pick(seeds).text);
    if (roll < 91) return nuls(rng, rng.pick(seeds).text);
    if (roll < 94) return soup(rng, rng.int(3000));
    if (roll < 97) return deepNesting(rng);
    if (roll < 99) return hugeLine(rng);
    // A file at a size limit, rarely: parsing one takes seconds.
    return rng.chance(0.1) ? nearLimit(rng) : hugeLine(rng);
  };

  /** Sends a step and applies it to the model. */
  const perform = async (d: Doc, step: Step) => {
    d.steps.push(step);
    if (step.op !== 'close') d.maxVersion = Math.max(d.maxVersion, step.version);
    model(models, step);
    // A server that stops reading its input leaves the write pending for good.
    await withTimeout(send(lsp, step), replyMs, `sending ${step.op}`);
  };

  /** One edit of the document, of a hostile kind or not. */
  const edit = async (d: Doc) => {
    const doc = models.get(d.uri)!;
    const version = d.maxVersion + 1;
    result.edits++;
    if (!rng.chance(hostileRate)) {
      // Now and then several changes in one notification, each against the text the ones before leave.
      const changes: Change[] = [];
      let next = doc;
      for (let i = rng.int(10) === 0 ? 2 + rng.int(4) : 1; i > 0; i--) {
        const c = typingChange(rng, next);
        changes.push(c);
        next = applyChange(next, c, version);
      }
      await perform(d, { op: 'change', uri: d.uri, version, changes });
      return;
    }
    const kind: HostileEdit = rng.pick(HOSTILE_EDITS);
    result.hostileEdits[kind] = (result.hostileEdits[kind] ?? 0) + 1;
    const len = doc.getText().length;
    switch (kind) {
      case 'reversed-range': {
        const a = rng.int(len + 1);
        const b = Math.min(len, a + 1 + rng.int(60));
        const text = rng.chance(0.5) ? '' : rng.chance(0.5) ? TYPED[rng.int(TYPED.length)] : rng.pick(PIECES);
        await perform(d, {
          op: 'change',
          uri: d.uri,
          version,
          hostile: kind,
          changes: [{ range: { start: doc.positionAt(b), end: doc.positionAt(a) }, text }],
        });
        break;
      }
      case 'out-of-range': {
        const p = outOfRange(rng, doc);
        const q = rng.chance(0.5) ? outOfRange(rng, doc) : doc.positionAt(rng.int(len + 1));
        const [start, end] = rng.chance(0.5) ? [p, q] : [q, p];
        await perform(d, {
          op: 'change',
          uri: d.uri,
          version,
          hostile: kind,
          changes: [{ range: { start, end }, text: rng.chance(0.5) ? '' : rng.pick(PIECES) }],
        });
        break;
      }
      case 'rangeless-with-length': {
        const text = rng.chance(0.7)
          ? mutate(
              rng,
              doc.getText(),
              seeds.map((s) => s.text),
            ).text
          : rng.pick(seeds).text;
        await perform(d, {
          op: 'change',
          uri: d.uri,
          version,
          hostile: kind,
          changes: [{ text, rangeLength: rng.pick([0, 3, len, len + 10]) }],
        });
        break;
      }
      case 'reopen-same-version':
      case 'reopen-other-version': {
        const text = mutate(
          rng,
          doc.getText(),
          seeds.map((s) => s.text),
        ).text;
        const v = kind === 'reopen-same-version' ? doc.version : rng.pick([version, 1, d.maxVersion + 100]);
        await perform(d, { op: 'open', uri: d.uri, version: v, text });
        break;
      }
      case 'version-repeated': {
        // Another text under a version already sent (or an older one).
        const change = typingChange(rng, doc);
        const v = rng.chance(0.8) ? doc.version : Math.max(0, doc.version - 1 - rng.int(3));
        await perform(d, {
          op: 'change',
          uri: d.uri,
          version: v,
          hostile: kind,
          changes: [change.text === '' ? { ...change, text: 'x' } : change],
        });
        break;
      }
      case 'hostile-text': {
        const at = doc.positionAt(rng.int(len + 1));
        await perform(d, {
          op: 'change',
          uri: d.uri,
          version,
          hostile: kind,
          changes: [{ range: { start: at, end: at }, text: hostileText(rng) }],
        });
        break;
      }
      case 'hostile-document':
        await perform(d, { op: 'change', uri: d.uri, version, hostile: kind, changes: [{ text: initialText() }] });
        break;
      case 'batch': {
        // Hostile and ordinary changes in one notification, each against the text the ones before leave.
        const changes: Change[] = [];
        let next = doc;
        for (let i = 0; i < 2 + rng.int(4); i++) {
          const l = next.getText().length;
          const a = rng.int(l + 1);
          const b = Math.min(l, a + rng.int(30));
          const c: Change = rng.pick([
            { range: { start: next.positionAt(b), end: next.positionAt(a) }, text: rng.pick(PIECES) },
            { range: { start: outOfRange(rng, next), end: next.positionAt(a) }, text: '' },
            { text: next.getText(), rangeLength: 1 },
            typingChange(rng, next),
          ]);
          changes.push(c);
          next = applyChange(next, c, version);
        }
        await perform(d, { op: 'change', uri: d.uri, version, hostile: kind, changes });
        break;
      }
    }
  };

  /** Hover, completion, code actions at a random place (sometimes out of range); each must be answered. */
  const request = async (d: Doc): Promise<void> => {
    const doc = models.get(d.uri)!;
    const pos = rng.chance(0.9) ? doc.positionAt(rng.int(doc.getText().length + 1)) : outOfRange(rng, doc);
    const last = lastPublished.get(d.uri);
    const diagnostic = last?.diagnostics.length ? rng.pick(last.diagnostics) : undefined;
    result.requests += diagnostic ? 3 : 2;
    const answers: Promise<unknown>[] = [lsp.hover(d.uri, pos.line, pos.character), lsp.completion(d.uri, pos.line, pos.character)];
    if (diagnostic) answers.push(lsp.codeActions(d.uri, diagnostic));
    const replies = await withTimeout(Promise.all(answers), replyMs, 'hover/completion/code action');
    const hover = replies[0] as { contents?: { value?: string } } | null;
    if (hover?.contents?.value)
      for (const p of suspiciousText(hover.contents.value, doc.getText(), 'hover')) record(result.sequences, p, [...d.steps]);
  };

  /** Diagnostics the server published last, per document (the client's own list is cleared as it goes). */
  const lastPublished = new Map<string, PublishDiagnosticsParams>();
  const drainPublished = () => {
    for (const p of lsp.published) lastPublished.set(p.uri, p);
    lsp.published.length = 0;
  };

  let freshCount = 0;
  /** End of a sequence: the checks listed at the top of this file. Returns the problems found. */
  const settle = async (d: Doc): Promise<Problem[]> => {
    const doc = models.get(d.uri)!;
    const freshUri = `file:///fresh/${freshCount++}.bpf.c`;
    const fresh = await withTimeout(lsp.openAndWait(freshUri, doc.getText()), replyMs, 'diagnostics of a fresh document');
    await lsp.close(freshUri);
    drainPublished();
    let last = lastPublished.get(d.uri);
    if (!last || last.version !== doc.version) {
      last = await lsp.nextDiagnostics(d.uri, doc.version, Math.min(replyMs, 3000)).catch(() => undefined);
      drainPublished();
    }
    const found: Problem[] = [];
    if (!last || (last.version !== undefined && last.version !== doc.version)) {
      found.push({ cls: 'no-diagnostics-for-the-last-version', detail: `${d.uri} v${doc.version}: last published v${last?.version}` });
      return found;
    }
    let incremental = last.diagnostics.map(diagnosticKey).sort();
    const expected = fresh.diagnostics.map(diagnosticKey).sort();
    if (JSON.stringify(incremental) !== JSON.stringify(expected)) {
      // A run for an older text may still be on its way: give it a moment before calling it stale.
      await new Promise((r) => setTimeout(r, 200));
      drainPublished();
      incremental = lastPublished.get(d.uri)!.diagnostics.map(diagnosticKey).sort();
    }
    if (JSON.stringify(incremental) !== JSON.stringify(expected)) {
      found.push({
        cls: 'incremental-differs-from-fresh',
        detail: `${d.uri} v${doc.version}: incremental ${incremental.length}, fresh ${expected.length}; ${incremental
          .filter((k) => !expected.includes(k))
          .concat(expected.filter((k) => !incremental.includes(k)))
          .join(' ')
          .slice(0, 400)}`,
      });
    }
    result.compared += expected.length;
    const lines = lspLineLengths(doc.getText());
    for (const diag of last.diagnostics) {
      found.push(
        ...suspiciousText(typeof diag.message === 'string' ? diag.message : diag.message.value, doc.getText(), 'diagnostic'),
        ...rangeProblems(diag.range, lines, 'diagnostic'),
      );
    }
    return found;
  };

  /** Failures the server logged since the last look (a handler or an analysis that threw). */
  const loggedFailures = (): Problem[] => {
    const found: Problem[] = [];
    for (const line of lsp.logs.splice(0)) {
      const m = /^(.*?)\bfailed: ([\s\S]*)$/m.exec(line) ?? /^(.*?(?:crash|trapped)[^:]*): ([\s\S]*)$/im.exec(line);
      if (!m) continue;
      const what = m[1]
        .replace(/file:\/\/\S+/g, 'URI')
        .replace(/\d+/g, 'N')
        .trim();
      const err = new Error(m[2].split('\n')[0]);
      err.name = /^(\w*Error)\b/.exec(m[2])?.[1] ?? 'Error';
      err.message = m[2].split('\n')[0].replace(/^\w*Error: /, '');
      const p = crashClass(`logged-failure (${what})`, err);
      found.push({ ...p, stack: m[2].slice(0, 2000) });
    }
    return found;
  };

  /**
   * Replays `steps` on fresh uris in the running server and says whether the class shows again. Used to
   * shrink a failing sequence to the steps that matter.
   */
  const reproduces = async (steps: Step[], cls: string): Promise<boolean> => {
    const rename = new Map<string, string>();
    const replayModels = new Map<string, TextDocument>();
    for (const s of steps) {
      if (!rename.has(s.uri)) rename.set(s.uri, `file:///replay/${freshCount++}.bpf.c`);
      const step = { ...s, uri: rename.get(s.uri)! } as Step;
      model(replayModels, step);
      await send(lsp, step);
    }
    const uri = rename.get(steps[steps.length - 1]?.uri ?? '');
    if (!uri || !replayModels.has(uri)) return false;
    const fake: Doc = { uri, resident: false, steps: [], age: 0, maxVersion: 0 };
    const saved = models.get(uri);
    models.set(uri, replayModels.get(uri)!);
    try {
      const found = [...(await settle(fake)), ...loggedFailures()];
      return found.some((p) => p.cls === cls);
    } catch {
      return false;
    } finally {
      if (saved) models.set(uri, saved);
      else models.delete(uri);
      for (const u of rename.values()) await lsp.close(u);
    }
  };

  const shrinkSteps = async (steps: Step[], cls: string): Promise<Step[] | undefined> => {
    if (!(await reproduces(steps, cls))) return undefined;
    // The first step opens the document: keep it, shrink the rest.
    const [open, ...rest] = steps;
    const kept = await minimizeList(rest, (c) => reproduces([open, ...c], cls), performance.now() + 15_000, 60);
    return [open, ...kept];
  };

  /**
   * Problems of a sequence: counted, and the first of each class shrunk and saved. A wrong result is
   * classed by the hostile edits that still show it once its sequence is shrunk (by all those of the
   * sequence when it cannot be), so that each kind of edit that breaks the server gets its reproducer.
   */
  const shrinks = new Map<string, number>();
  /** Class of a wrong result, by the hostile edits of its whole sequence. */
  const classOfSequence = new Map<string, string>();
  const report = async (seq: number, d: Doc, found: Problem[]) => {
    for (const p of found) {
      const byEdits = p.cls === 'incremental-differs-from-fresh' || p.cls === 'no-diagnostics-for-the-last-version';
      const key = byEdits ? `${p.cls} [${hostileKinds(d.steps).join(' + ') || 'ordinary edits'}]` : p.cls;
      const known = classOfSequence.get(key) ?? key;
      if (problems.has(known)) {
        problems.get(known)!.count++;
        continue;
      }
      const steps = [...d.steps];
      // Shrinking replays the sequence many times: a few per kind of problem is enough.
      const tries = shrinks.get(p.cls) ?? 0;
      shrinks.set(p.cls, tries + 1);
      const shrunk = lsp.alive && tries < 6 ? await shrinkSteps(steps, p.cls).catch(() => undefined) : undefined;
      const cls = byEdits && shrunk ? `${p.cls} [${hostileKinds(shrunk).join(' + ') || 'ordinary edits'}]` : key;
      classOfSequence.set(key, cls);
      const detail = shrunk ? `${p.detail} (shrunk to ${shrunk.length} steps)` : p.detail;
      record(seq, { ...p, cls, detail }, steps, shrunk);
    }
  };

  /** A malformed frame or malformed params; then the server must answer a request. */
  const frame = async (seq: number) => {
    // In turn, so that a short run sends each kind.
    const candidates = FRAMES.filter((f) => !brokenFrames.has(f.name));
    if (candidates.length === 0) return;
    const f = candidates[result.frames % candidates.length];
    result.frames++;
    const probe = resident[0];
    const bound = Math.min(replyMs, 5000);
    let answered: boolean;
    if (f.raw) {
      answered = await answersAfterRawFrame(lsp, f.raw, probe.uri, bound);
    } else {
      await lsp.connection.sendNotification(f.notify![0], f.notify![1]);
      answered = true;
    }
    // And the connection as such still works.
    answered &&= await withTimeout(lsp.hover(probe.uri, 0, 0), bound, 'hover after a malformed frame').then(
      () => true,
      () => false,
    );
    lsp.logs.splice(0);
    if (!answered || !lsp.alive) {
      brokenFrames.add(f.name);
      const cls = `server-${lsp.alive ? 'stops-replying' : 'exits'}-after-frame (${f.name})`;
      record(seq, { cls, detail: JSON.stringify(f.raw ?? f.notify) }, undefined);
      problems.get(cls)!.reproducer ??= saveReproducer(dir, 'lsp', cls, { kind: 'protocol-frame', frame: f });
      await restart();
    }
  };

  for (let i = 0; i < (options.resident ?? 6); i++) {
    const d = newDocument(true);
    resident.push(d);
    await perform(d, {
      op: 'open',
      uri: d.uri,
      version: 1,
      text: i % 2 === 0 ? rng.pick(seeds).text : mutate(rng, rng.pick(seeds).text, []).text,
    });
  }

  try {
    for (let seq = 0; seq < options.sequences; seq++) {
      result.sequences++;
      let d: Doc = resident[0];
      let found: Problem[] = [];
      try {
        if (rng.chance(0.3)) {
          d = rng.pick(resident);
          if (++d.age > 25) {
            // Reopen it fresh, so that its recorded history stays short enough to replay.
            await perform(d, { op: 'close', uri: d.uri });
            Object.assign(d, { steps: [], age: 0, maxVersion: 0 });
            await perform(d, { op: 'open', uri: d.uri, version: 1, text: rng.pick(seeds).text });
          }
        } else {
          d = newDocument(false);
          await perform(d, { op: 'open', uri: d.uri, version: 1, text: initialText() });
        }
        const edits = 1 + rng.int(maxEdits);
        for (let e = 0; e < edits; e++) {
          await edit(d);
          if (rng.chance(0.1)) await request(d);
        }
        found = await settle(d);
        found.push(...loggedFailures());
      } catch (err) {
        found.push(
          lsp.alive
            ? { cls: /diagnostics/.test((err as Error).message) ? SLOW : 'server-stops-replying', detail: (err as Error).message }
            : {
                cls: 'server-exits',
                detail: `exit ${lsp.process.exitCode ?? lsp.process.signalCode}; ${(err as Error).message}; ${lsp.logs.slice(-3).join(' ').slice(0, 500)}`,
              },
        );
      }
      // A backlog of analyses or a silent server: start afresh.
      if (!lsp.alive || found.some((p) => p.cls === 'server-stops-replying' || p.cls === 'server-exits' || p.cls === SLOW)) {
        for (const p of found) record(seq, p, [...d.steps]);
        await restart();
      } else {
        await report(seq, d, found);
        if (!d.resident) await lsp.close(d.uri);
      }
      if (!d.resident) models.delete(d.uri);
      if (frameEvery > 0 && seq % frameEvery === frameEvery - 1) await frame(seq);
      if (seq % 50 === 0) {
        const rss = sampleMemory();
        if (rss !== undefined) result.memory.samplesMiB.push(Math.round(rss));
        lastPublished.clear();
      }
      if (options.log && performance.now() - lastProgress > 10_000) {
        lastProgress = performance.now();
        options.log(
          `protocol fuzz: ${result.sequences}/${options.sequences} sequences, ${result.edits} edits, ${problems.size} problem classes, server ${sampleMemory()?.toFixed(0)} MiB, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        );
      }
    }
    // Large documents opened and closed one after another, then every document closed: what the server
    // keeps now is what it did not give back.
    for (let i = 0; i < (options.largeDocuments ?? 3); i++) {
      const uri = `file:///fuzz/large-${i}.bpf.c`;
      const started = performance.now();
      const answered = await withTimeout(
        lsp.openAndWait(uri, nearLimit(rng, SERVER_SIZE_LIMIT - 1000)),
        replyMs,
        'diagnostics of a large document',
      ).then(
        () => true,
        () => false,
      );
      result.largeDocumentMs.push(Math.round(performance.now() - started));
      if (!answered)
        record(result.sequences, { cls: 'no-diagnostics-for-a-document-at-the-size-limit', detail: `none within ${replyMs} ms` });
      sampleMemory();
      await lsp.close(uri);
    }
    for (const d of resident) await lsp.close(d.uri);
    // The lowest of a few samples: memory given back a moment late counts as given back.
    result.memory.afterCloseMiB = Infinity;
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      result.memory.afterCloseMiB = Math.min(result.memory.afterCloseMiB, sampleMemory() ?? 0);
    }
    result.memory.peakMiB = Math.max(result.memory.peakMiB, vmHwmMiB(lsp));
    const kept = result.memory.afterCloseMiB - result.memory.startMiB;
    if (kept > MEMORY_KEPT_MIB) {
      record(result.sequences, {
        cls: 'memory-not-given-back-after-documents-close',
        detail: `${result.memory.afterCloseMiB.toFixed(0)} MiB with no document open, ${kept.toFixed(0)} MiB more than at the start (peak ${result.memory.peakMiB.toFixed(0)} MiB)`,
      });
    }
    result.alive =
      lsp.alive &&
      (await withTimeout(lsp.hover(resident[0].uri, 0, 0), replyMs, 'final hover').then(
        () => true,
        () => false,
      ));
  } finally {
    await lsp.stop();
  }
  result.problems = [...problems.values()].sort((a, b) => b.count - a.count);
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** The hostile edits among `steps` (a didOpen after the first counts as one). */
function hostileKinds(steps: Step[]): string[] {
  const kinds = new Set<string>();
  steps.forEach((s, i) => {
    if (s.op === 'change' && s.hostile) kinds.add(s.hostile);
    if (s.op === 'open' && i > 0 && steps[i - 1].op !== 'close') kinds.add('reopen');
  });
  return [...kinds].sort();
}

function vmHwmMiB(lsp: LspTestClient): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${lsp.process.pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return 0;
  }
}

/** Replays a saved protocol reproducer against a new server: the problems it shows now. */
export async function replayProtocol(saved: { steps?: Step[]; frame?: (typeof FRAMES)[number] }): Promise<string[]> {
  const lsp = await LspTestClient.start({ debounceMs: 0 }, FUZZ_CLIENT);
  const found: string[] = [];
  try {
    if (saved.frame) {
      const uri = 'file:///replay/probe.bpf.c';
      await lsp.openAndWait(uri, 'int x;\n');
      let ok = true;
      if (saved.frame.raw) ok = await answersAfterRawFrame(lsp, saved.frame.raw, uri, 5000);
      else await lsp.connection.sendNotification(saved.frame.notify![0], saved.frame.notify![1]);
      ok &&= await withTimeout(lsp.hover(uri, 0, 0), 5000, 'hover').then(
        () => true,
        () => false,
      );
      if (!ok) found.push(`server ${lsp.alive ? 'stops replying' : 'exits'} after ${saved.frame.name}`);
      return found;
    }
    const docs = new Map<string, TextDocument>();
    for (const s of saved.steps ?? []) {
      model(docs, s);
      await send(lsp, s);
    }
    for (const [uri, doc] of docs) {
      const started = performance.now();
      const fresh = await withTimeout(lsp.openAndWait(`${uri}.fresh.bpf.c`, doc.getText()), 10_000, 'fresh diagnostics').catch(() => null);
      if (!fresh) {
        found.push(
          `${uri}: no diagnostics for the same text opened fresh within 10 s (the server is ${lsp.alive ? 'busy or silent' : 'gone'})`,
        );
        continue;
      }
      if (performance.now() - started > 5000)
        found.push(`${uri}: diagnostics of the same text opened fresh took ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const last = lsp.published.filter((p) => p.uri === uri).pop();
      if (!last || last.version !== doc.version) found.push(`${uri}: no diagnostics for v${doc.version} (last v${last?.version})`);
      else if (JSON.stringify(last.diagnostics.map(diagnosticKey).sort()) !== JSON.stringify(fresh.diagnostics.map(diagnosticKey).sort())) {
        found.push(
          `${uri}: incremental ${JSON.stringify(last.diagnostics.map((x) => x.code))} vs fresh ${JSON.stringify(fresh.diagnostics.map((x) => x.code))}`,
        );
      }
    }
    found.push(...lsp.logs.filter((l) => /failed:|crash|trapped/i.test(l)).map((l) => l.slice(0, 300)));
    if (!lsp.alive) found.push('server exited');
    return found;
  } finally {
    await lsp.stop();
  }
}

if (require.main === module) {
  // `node out/test/lsp/fuzz.js [SEQUENCES] [SEED]`: the protocol part alone (test/fuzz/run.ts runs both).
  const sequences = Number(process.argv[2] ?? 2000);
  const seed = Number(process.argv[3] ?? 1);
  runProtocolFuzz({ seed, sequences, log: (l) => console.error(l) }).then(
    (r) => {
      console.log(JSON.stringify({ ...r, problems: r.problems.map((p) => `${p.count}× ${p.cls} ${p.reproducer?.json ?? ''}`) }, null, 1));
      process.exitCode = r.alive && r.problems.length === 0 ? 0 : 1;
    },
    (err: Error) => {
      console.error(err.stack);
      process.exitCode = 1;
    },
  );
}
