// Fuzzes the real server through the protocol: random and mutated documents, random edit sequences
// (single and batched changes, whole-document replacements, positions past the end), and requests at
// random places. At the end every document's diagnostics must equal those of the same text opened
// fresh (incremental parsing agrees with a full parse), and the server must still be alive.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { FIXTURES } from '../helpers/paths';
import { LspTestClient } from './lspClient';

export interface FuzzResult {
  edits: number;
  requests: number;
  documents: number;
  seconds: number;
  mismatches: string[];
  alive: boolean;
  /** Diagnostics compared between incremental and fresh analysis at the end. */
  compared: number;
}

const PIECES = [
  '{', '}', '(', ')', ';', '\n', '    ', '"', '#define LSM(h) SEC("lsm/" #h)\n', 'SEC("lsm/', 'SEC("lsm.s/', 'SEC("lsm_cgroup/',
  'file_open")', 'BPF_PROG(', 'BPF_KPROBE(', 'struct file *file, ', 'int ret', ', int ret)', 'if (ret != 0)\n\treturn ret;\n',
  'return -EPERM;', 'return 1;', 'return EPERM;', 'goto out;', 'out: return ret;', '/*', '*/', '//', '\\', '\0', '\u00e9',
  '\u{1F600}', '\r\n', 'char LICENSE[] SEC("license") = "GPL";\n', '#if X\n', '#endif\n', 'bprm_check_security', 'x',
];

class Rng {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.seed / 0x7fffffff;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: T[]): T {
    return items[this.int(items.length)];
  }
}

function randomText(rng: Rng, length: number): string {
  let s = '';
  while (s.length < length) s += rng.int(4) === 0 ? String.fromCharCode(rng.int(0x3000)) : rng.pick(PIECES);
  return s;
}

const TYPED = 'abcdefghijklmnopqrstuvwxyz_0123456789 (){};,*\n"/';

/** Mostly typing-sized edits, so documents keep their programs (and diagnostics) through a long run. */
function randomChange(rng: Rng, doc: TextDocument, fixtures: string[]): TextDocumentContentChangeEvent {
  const roll = rng.int(400);
  if (roll === 0) return { text: randomText(rng, rng.int(3000)) };
  if (roll === 1) return { text: rng.pick(fixtures) };
  const len = doc.getText().length;
  const a = rng.int(len + 1);
  const kind = rng.int(10);
  const deleted = kind < 6 ? 0 : kind < 9 ? 1 + rng.int(3) : rng.int(40);
  const b = Math.min(len, a + deleted);
  const start = doc.positionAt(a);
  const end = doc.positionAt(b);
  // Now and then a position past the end of its line or of the document, which clients may send.
  if (rng.int(50) === 0) end.character += 5;
  if (rng.int(100) === 0) end.line += 3;
  const form = rng.int(5);
  const text = form < 2 ? TYPED[rng.int(TYPED.length)] : form < 4 ? rng.pick(PIECES) : '';
  return { range: { start, end }, text };
}

const key = (d: Diagnostic) => JSON.stringify([d.code, d.range, d.message, d.severity]);

let freshCount = 0;

/** Incremental results must equal those of the same text opened fresh. Returns the diagnostics compared. */
async function compareWithFresh(lsp: LspTestClient, doc: TextDocument, mismatches: string[], when: string): Promise<number> {
  const last = lsp.published.filter((p) => p.uri === doc.uri).pop();
  const incremental = last?.version === doc.version ? last : await lsp.nextDiagnostics(doc.uri, doc.version, 30_000);
  const freshUri = `${doc.uri}.fresh-${freshCount++}.bpf.c`;
  const fresh = await lsp.openAndWait(freshUri, doc.getText());
  await lsp.close(freshUri);
  const a = incremental.diagnostics.map(key).sort();
  const b = fresh.diagnostics.map(key).sort();
  if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${doc.uri} ${when}: incremental ${a.length} vs fresh ${b.length}`);
  return b.length;
}

export async function fuzzServer(options: {
  seed: number;
  edits: number;
  documents: number;
  /** Send a hover and a completion request every this many edits. */
  requestEvery?: number;
  /** Compare the edited document with a fresh parse every this many edits. */
  checkEvery?: number;
}): Promise<FuzzResult> {
  const rng = new Rng(options.seed);
  const fixtures = fs.readdirSync(path.join(FIXTURES, 'lint')).map((f) => fs.readFileSync(path.join(FIXTURES, 'lint', f), 'utf8'));
  const lsp = await LspTestClient.start({ debounceMs: 0 });
  const t0 = performance.now();
  const docs: TextDocument[] = [];
  let requests = 0;
  let compared = 0;
  const mismatches: string[] = [];
  try {
    for (let i = 0; i < options.documents; i++) {
      const text = i % 4 === 3 ? randomText(rng, 500 + rng.int(3000)) : fixtures[i % fixtures.length];
      const uri = `file:///fuzz/doc-${i}.bpf.c`;
      docs.push(TextDocument.create(uri, 'c', 1, text));
      await lsp.open(uri, text);
    }
    for (let e = 0; e < options.edits; e++) {
      const i = rng.int(docs.length);
      const doc = docs[i];
      const changes = Array.from({ length: rng.int(10) === 0 ? 2 + rng.int(4) : 1 }, () => randomChange(rng, doc, fixtures));
      // Each change applies to the text left by the one before, as in the protocol.
      let next = doc;
      for (const c of changes) next = TextDocument.update(next, [c], next.version + 1);
      const version = await lsp.change(doc.uri, changes);
      docs[i] = TextDocument.create(doc.uri, 'c', version, next.getText());
      if (options.checkEvery && e % options.checkEvery === options.checkEvery - 1) {
        compared += await compareWithFresh(lsp, docs[i], mismatches, `after edit ${e}`);
      }
      if (options.requestEvery && e % options.requestEvery === 0) {
        const pos = docs[i].positionAt(rng.int(docs[i].getText().length + 1));
        await Promise.all([lsp.hover(doc.uri, pos.line, pos.character), lsp.completion(doc.uri, pos.line, pos.character)]);
        requests += 2;
      }
    }
    for (const doc of docs) compared += await compareWithFresh(lsp, doc, mismatches, 'at the end');
    const alive = lsp.alive && (await lsp.hover(docs[0].uri, 0, 0).then(() => true, () => false));
    return { edits: options.edits, requests, documents: docs.length, seconds: (performance.now() - t0) / 1000, mismatches, alive, compared };
  } finally {
    await lsp.stop();
  }
}

if (require.main === module) {
  const edits = Number(process.argv[2] ?? 20000);
  const seed = Number(process.argv[3] ?? 1);
  fuzzServer({ seed, edits, documents: 12, requestEvery: 10, checkEvery: 25 }).then((r) => {
    console.log(`fuzz: ${r.edits} edits, ${r.requests} requests over ${r.documents} documents in ${r.seconds.toFixed(1)} s ` +
      `(${(r.edits / r.seconds).toFixed(0)} edits/s); server alive: ${r.alive}; ${r.compared} final diagnostics compared, ` +
      `incremental vs fresh mismatches: ${r.mismatches.length}`);
    for (const m of r.mismatches) console.log(`  ${m}`);
    process.exitCode = r.alive && r.mismatches.length === 0 ? 0 : 1;
  }, (err: Error) => {
    console.error(err.stack);
    process.exitCode = 1;
  });
}
