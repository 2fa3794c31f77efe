// The parser's WASM compiled ahead (server/src/analysis/parserWasm.ts), as the linter's and the language
// server's entries start it: the C parser is made from those modules without compiling the files again,
// and a file that could not be read or compiled ahead is loaded the usual way, with the same parses.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

const RUNTIME = path.join(REPO_ROOT, 'node_modules', 'web-tree-sitter', 'web-tree-sitter.wasm');
const GRAMMAR = path.join(REPO_ROOT, 'node_modules', 'tree-sitter-c', 'tree-sitter-c.wasm');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-parser-wasm-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Outcome {
  tree: string;
  /** WebAssembly.instantiate() calls given bytes (a file compiled there and then), not a compiled module. */
  compiledFromBytes: number;
}

/** In a process of its own: web-tree-sitter keeps the first runtime it makes in a process. */
function parseWith(ahead: { runtime: string; grammar: string } | undefined): Outcome {
  const req = (m: string) => JSON.stringify(require.resolve(`../../server/src/analysis/${m}`));
  const code = `
    let compiledFromBytes = 0;
    const instantiate = WebAssembly.instantiate;
    WebAssembly.instantiate = function (source, ...rest) {
      if (!(source instanceof WebAssembly.Module)) compiledFromBytes++;
      return instantiate.call(this, source, ...rest);
    };
    const { compileParserWasm } = require(${req('parserWasm')});
    const cParser = require(${req('cParser')});
    const ahead = ${JSON.stringify(ahead ?? null)};
    if (ahead) cParser.useCompiledParserWasm(compileParserWasm(ahead.runtime, ahead.grammar));
    cParser.createCParser().then((parser) => {
      const tree = parser.parse('SEC("lsm/file_open")\\nint BPF_PROG(f, struct file *file, int ret) { return 0; }\\n');
      process.stdout.write(JSON.stringify({ tree: tree.rootNode.toString(), compiledFromBytes }));
    });`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as Outcome;
}

describe('the parser from WASM compiled ahead', () => {
  const usual = parseWith(undefined);

  it('is made from the modules compiled ahead, compiling neither file again, and parses as the usual one', () => {
    assert.equal(usual.compiledFromBytes, 2);
    assert.match(usual.tree, /^\(translation_unit \(expression_statement \(call_expression/);
    assert.deepEqual(parseWith({ runtime: RUNTIME, grammar: GRAMMAR }), { tree: usual.tree, compiledFromBytes: 0 });
  });

  it('loads a module that could not be read or compiled ahead from its file, with the same parse', () => {
    const garbage = path.join(tmp, 'garbage.wasm');
    fs.writeFileSync(garbage, 'not WebAssembly');
    const missing = path.join(tmp, 'missing.wasm');
    assert.deepEqual(parseWith({ runtime: missing, grammar: GRAMMAR }), { tree: usual.tree, compiledFromBytes: 1 });
    assert.deepEqual(parseWith({ runtime: RUNTIME, grammar: garbage }), { tree: usual.tree, compiledFromBytes: 1 });
    assert.deepEqual(parseWith({ runtime: garbage, grammar: missing }), usual);
  });
});
