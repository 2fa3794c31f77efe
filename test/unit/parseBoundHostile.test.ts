// The parse bound counts work instead of timing it: a file passes or fails the same way on a busy machine
// as on an idle one (it was a 2-second clock, so large files flipped with the load).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { Analyzer } from '../../server/src/analysis/analyze';
import { createCParser, MAX_ANALYSED_LENGTH, parseC, parseCBounded } from '../../server/src/analysis/cParser';
import { MAX_ANALYSED_LENGTH as SERVER_MAX_ANALYSED_LENGTH } from '../../server/src/lsp/documentStore';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { largeFile } from '../helpers/corpus';
import { CLI, FIXTURES, REPO_ROOT } from '../helpers/paths';

/** Every `/*` is an unclosed comment the lexer scans to the end of the text: quadratic, few parser steps. */
const RESCANS = '/* '.repeat(3000);

const GAVE_UP =
  "parsing stopped: the file needs more than the parser's work limit (6,000,000 parser operations, " +
  '33,554,432 characters read); the file was not analysed';

describe('the parse bound', () => {
  let parser: Parser;
  before(async () => {
    parser = await createCParser();
  });
  after(() => parser.delete());

  it('does not read the clock: a clock that races ahead changes nothing', () => {
    const realPerformanceNow = performance.now.bind(performance);
    const realDateNow = Date.now;
    let fake = realPerformanceNow();
    performance.now = () => (fake += 1_000_000);
    Date.now = () => (fake += 1_000_000);
    try {
      const text = largeFile();
      const tree = parseC(parser, text);
      assert.ok(tree, 'the 5,000-line file parsed');
      assert.equal(tree.rootNode.endIndex, text.length);
      assert.equal(tree.rootNode.descendantsOfType('function_definition').length, 200);
      tree.delete();
    } finally {
      performance.now = realPerformanceNow;
      Date.now = realDateNow;
    }
  });

  it('gives up on text that makes the lexer rescan, with the same reason every time', () => {
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(parseCBounded(parser, RESCANS), { tree: null, reason: 'too-complex', message: GAVE_UP });
    }
  });

  it('after giving up, parses the next text afresh (it used to resume the abandoned parse)', () => {
    assert.equal(parseC(parser, RESCANS), null);
    const text = 'int b(void) { return 1; }\n';
    const tree = parseC(parser, text)!;
    assert.equal(tree.rootNode.endIndex, text.length);
    assert.equal(
      tree.rootNode.toString(),
      '(translation_unit (function_definition type: (primitive_type) declarator: (function_declarator declarator: (identifier) ' +
        'parameters: (parameter_list (parameter_declaration type: (primitive_type)))) body: (compound_statement (return_statement (number_literal)))))',
    );
    tree.delete();
  });

  it('does not parse text over MAX_ANALYSED_LENGTH, the limit the server uses', () => {
    assert.equal(MAX_ANALYSED_LENGTH, 4_194_304);
    assert.equal(SERVER_MAX_ANALYSED_LENGTH, MAX_ANALYSED_LENGTH, 'documentStore.ts and cParser.ts agree');
    const text = `int x;\n${' '.repeat(MAX_ANALYSED_LENGTH)}`;
    assert.deepEqual(parseCBounded(parser, text), {
      tree: null,
      reason: 'too-large',
      message: 'too large for BPF LSM analysis (4,194,311 characters; the limit is 4,194,304 characters)',
    });
  });

  it('the analysis and the linter say so in one line, and go on with the next file', async () => {
    const analyzer = await Analyzer.create();
    const catalog = HookCatalog.bundled();
    try {
      assert.throws(() => analyzer.analyze(RESCANS, catalog.target().target, catalog), new Error(GAVE_UP));
    } finally {
      analyzer.dispose();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parse-bound-'));
    try {
      const file = path.join(dir, 'rescans.bpf.c');
      fs.writeFileSync(file, RESCANS);
      const r = spawnSync(process.execPath, [CLI, file, path.join(FIXTURES, 'lint', 'seed-target-exec.bpf.c')], {
        encoding: 'utf8',
        cwd: REPO_ROOT,
      });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `bpf-lsm-lint: ${file}: ${GAVE_UP}\n`);
      assert.match(r.stdout, /seed-target-exec\.bpf\.c:5:10: error: .*\[unknown-hook\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
