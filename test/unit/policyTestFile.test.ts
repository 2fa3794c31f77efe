// Policy test files (*.lsmtest.yaml): the model they parse to, the message and the line of each kind of
// mistake, hostile inputs that must come back as problems (never an exception, never a hang), and the
// search for test files in a tree.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PolicyTestFile } from '../../policy/src/model';
import { findPolicyTestFiles, loadPolicyTestFile, MAX_TEST_FILE_BYTES, parsePolicyTestFile } from '../../policy/src/testFile';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';
import { timeLimit } from '../helpers/timeLimit';

const POLICY = path.join(FIXTURES, 'policy');
const fixturePath = (kind: string, name: string) => path.join(POLICY, kind, name);

/** Parses text that must be valid and returns the model. */
function valid(text: string, file = '/work/tests/t.lsmtest.yaml'): PolicyTestFile {
  const r = parsePolicyTestFile(text, file);
  assert.deepEqual(r.problems, []);
  assert.ok(r.file);
  return r.file;
}

/** The problems of text that must be rejected, as `line:column message`. */
function problems(text: string): string[] {
  const r = parsePolicyTestFile(text, 't.lsmtest.yaml');
  assert.equal(r.file, undefined, 'expected problems, got a model');
  assert.ok(r.problems.length > 0);
  for (const p of r.problems) assert.equal(p.file, 't.lsmtest.yaml');
  return r.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
}

/** Asserts that a problem on `line` contains `text`. */
function hasProblem(found: string[], line: number, text: string): void {
  assert.ok(
    found.some((p) => p.startsWith(`${line}:`) && p.includes(text)),
    `no problem on line ${line} containing ${JSON.stringify(text)}; got:\n${found.join('\n')}`,
  );
}

/** A file that must parse, or be rejected, whatever it holds; returns what it was. */
function neverThrows(text: string): 'file' | 'problems' {
  let r;
  assert.doesNotThrow(() => (r = parsePolicyTestFile(text, 'hostile.lsmtest.yaml')));
  const { file, problems: found } = r!;
  assert.ok((file === undefined) !== (found.length === 0), 'either a model or problems');
  for (const p of found) {
    assert.ok(Number.isInteger(p.line) && p.line >= 1, `line ${p.line}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `column ${p.column}`);
    assert.equal(typeof p.message, 'string');
    assert.ok(!p.message.includes('internal error'), p.message);
  }
  return file ? 'file' : 'problems';
}

describe('policy test files: the model', () => {
  it('the example of the file format parses to the model', () => {
    const file = path.join(POLICY, 'valid', 'deny-open.lsmtest.yaml');
    const model = valid(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(model, {
      file,
      program: path.join(POLICY, 'valid', 'deny-open.bpf.c'),
      programPos: { line: 1, column: 10 },
      kernels: ['6.1', '6.12'],
      setup: 'echo secret > /tmp/lsm-secret && echo ok > /tmp/lsm-other',
      teardown: 'rm -f /tmp/lsm-secret /tmp/lsm-other',
      cases: [
        {
          name: 'denies the secret file',
          pos: { line: 6, column: 5 },
          action: { kind: 'open', path: '/tmp/lsm-secret', flags: ['O_RDONLY'] },
          expect: { errno: 'EPERM' },
          expectOn: {},
        },
        {
          name: 'other files still open',
          pos: { line: 9, column: 5 },
          action: { kind: 'open', path: '/tmp/lsm-other', flags: ['O_RDONLY'] },
          expect: { allowed: true },
          expectOn: {},
        },
        {
          name: 'cat is denied too',
          pos: { line: 12, column: 5 },
          action: { kind: 'run', command: 'cat /tmp/lsm-secret' },
          expect: { exit: 1, stderr: 'Operation not permitted' },
          expectOn: {},
        },
        {
          name: 'the denial is traced',
          pos: { line: 15, column: 5 },
          action: { kind: 'open', path: '/tmp/lsm-secret', flags: ['O_RDONLY'] },
          expect: { errno: 'EPERM', trace: 'denied open of lsm-secret' },
          expectOn: {},
        },
        {
          name: 'refused on 6.12 only',
          pos: { line: 18, column: 5 },
          expectOn: { '6.12': { load: 'rejected', verifier: 'should have been in \\[-4095, 0\\]' } },
        },
      ],
    });
    // The verifier pattern is the regex the file meant: it matches the verifier's words.
    assert.match('R0 should have been in [-4095, 0]', new RegExp(model.cases[4].expectOn['6.12']?.verifier ?? '^$'));
  });

  it('every action in each of its forms', () => {
    const file = fixturePath('valid', 'every-action.lsmtest.yaml');
    const model = valid(fs.readFileSync(file, 'utf8'), file);
    assert.equal(model.program, path.join(POLICY, 'programs', 'everything.bpf.c'));
    assert.equal(model.kernels, undefined);
    assert.deepEqual(
      model.cases.map((c) => c.action),
      [
        { kind: 'open', path: '/etc/hostname', flags: ['O_RDONLY'] },
        { kind: 'open', path: '/tmp/lsm-new', flags: ['O_WRONLY', 'O_CREAT', 'O_TRUNC'] },
        { kind: 'open', path: '/tmp/lsm-log', flags: ['O_RDWR', 'O_APPEND'] },
        { kind: 'exec', path: '/usr/bin/true', args: [] },
        { kind: 'exec', path: '/bin/sh', args: ['-c', 'exit 3'] },
        { kind: 'unlink', path: '/tmp/lsm-secret' },
        { kind: 'mkdir', path: '/tmp/lsm-dir', mode: 0o755 },
        { kind: 'mkdir', path: '/tmp/lsm-dir2', mode: 0o700 },
        { kind: 'rename', from: '/tmp/lsm-a', to: '/tmp/lsm-b' },
        { kind: 'chmod', path: '/tmp/lsm-secret', mode: 0o644 },
        // YAML 1.2 reads an unquoted 0755 as decimal 755; a mode means octal.
        { kind: 'chmod', path: '/tmp/lsm-secret', mode: 0o755 },
        { kind: 'mount', source: 'none', target: '/mnt', fstype: 'tmpfs' },
        { kind: 'mount', source: 'proc', target: '/mnt', fstype: 'proc' },
        { kind: 'kill', signal: 'SIGTERM' },
        { kind: 'kill', signal: 'SIGKILL' },
        { kind: 'ptrace' },
        { kind: 'ptrace' },
        { kind: 'bpf', map: 'array' },
        { kind: 'bpf', map: 'hash' },
        { kind: 'run', command: 'cat /tmp/lsm-secret\necho done\n' },
      ],
    );
    assert.deepEqual(model.cases[1].expect, { errno: 'EPERM' }, 'denied is errno EPERM');
    assert.deepEqual(model.cases[3].expect, { allowed: true, exit: 0 });
  });

  it('socket addresses: both families, both forms, tcp by default', () => {
    const model = valid(fs.readFileSync(fixturePath('valid', 'network.lsmtest.yaml'), 'utf8'));
    assert.deepEqual(model.kernels, ['6.1', '6.12', '7.2']);
    assert.deepEqual(
      model.cases.map((c) => c.action),
      [
        { kind: 'connect', address: '127.0.0.1', port: 8080, protocol: 'tcp', family: 4 },
        { kind: 'connect', address: '::1', port: 8080, protocol: 'tcp', family: 6 },
        { kind: 'connect', address: '10.0.0.1', port: 53, protocol: 'udp', family: 4 },
        { kind: 'bind', address: '::1', port: 9000, protocol: 'tcp', family: 6 },
        { kind: 'bind', address: 'fe80::1', port: 65535, protocol: 'tcp', family: 6 },
        { kind: 'bind', address: '0.0.0.0', port: 80, protocol: 'tcp', family: 4 },
      ],
    );
    assert.deepEqual(model.cases[5].expect, { allowed: true });
    assert.deepEqual(model.cases[5].expectOn, { '6.1': { errno: 'EPERM' } });
  });

  it('load-only cases, and expectations shared through anchors', () => {
    const model = valid(fs.readFileSync(fixturePath('valid', 'load-only.lsmtest.yaml'), 'utf8'));
    const rejected = { load: 'rejected', verifier: 'At program exit the register R0 has' };
    assert.equal(model.cases[0].action, undefined);
    assert.equal(model.cases[0].expect, undefined);
    assert.deepEqual(model.cases[0].expectOn, { '6.12': rejected, '6.6': rejected });
    assert.deepEqual(model.cases[1].expectOn, { '6.1': { load: 'loads' } });
    assert.deepEqual(model.cases[3].expect, { errno: 'EPERM' });
  });

  it('a relative file name gives absolute paths in the model, and problems keep the name as given', () => {
    const text = 'program: sub/p.bpf.c\ncases:\n  - name: a\n    open: /x\n    expect: allowed\n';
    const model = valid(text, 'tests/a.lsmtest.yaml');
    assert.equal(model.file, path.resolve('tests/a.lsmtest.yaml'));
    assert.equal(model.program, path.resolve('tests/sub/p.bpf.c'));
    const bad = parsePolicyTestFile('program: p\n', 'tests/a.lsmtest.yaml');
    assert.equal(bad.problems[0].file, 'tests/a.lsmtest.yaml');
  });

  it('CRLF line ends and a byte order mark change nothing', () => {
    const lf = fs.readFileSync(fixturePath('valid', 'deny-open.lsmtest.yaml'), 'utf8');
    const crlf = `\ufeff${lf.replace(/\n/g, '\r\n')}`;
    assert.deepEqual(valid(crlf), valid(lf));
  });
});

describe('policy test files: mistakes, with their line', () => {
  const head = 'program: p.bpf.c\ncases:\n';

  it('bad YAML: the line and column of the syntax error', () => {
    const found = problems(`${head}  - name: a\n    open: /x\n   expect: allowed\n`);
    assert.equal(found.length, 1);
    assert.match(found[0], /^5:\d+ YAML: /);
  });

  it('an unclosed flow map', () => {
    hasProblem(problems(`${head}  - name: a\n    open: /x\n    expect: { errno: EPERM\n`), 6, 'YAML:');
  });

  it('an unknown action, with the action it resembles', () => {
    const found = problems(
      `${head}  - name: a\n    open: /x\n    expect: allowed\n  - name: b\n    connnect: 127.0.0.1:80\n    expect: denied\n`,
    );
    assert.deepEqual(found, ["7:5 cases[1]: unknown field 'connnect' (did you mean connect?)"]);
  });

  it('an unknown field with no near miss lists the fields', () => {
    hasProblem(problems(`${head}  - name: a\n    open: /x\n    expect: allowed\n    frobnicate: 1\n`), 6, 'expected name, open, exec,');
  });

  it('two actions: on the second', () => {
    const found = problems(`${head}  - name: a\n    open: /x\n    run: cat /x\n    expect: denied\n`);
    assert.equal(found.length, 1);
    assert.match(found[0], /^5:5 cases\[0\]: has 2 actions \(open, run\); a case has one action/);
  });

  it('a bad errno name, with the one meant', () => {
    const found = problems(`${head}  - name: a\n    open: /x\n    expect:\n      errno: EPRM\n`);
    assert.deepEqual(found, [
      "6:14 cases[0].expect.errno: got 'EPRM', expected a Linux errno name like EPERM or EACCES (did you mean EPERM?)",
    ]);
  });

  it('an errno in lower case is not one, but is suggested', () => {
    hasProblem(problems(`${head}  - name: a\n    open: /x\n    expect: { errno: eacces }\n`), 5, '(did you mean EACCES?)');
  });

  it('a regex that does not compile: which field, and why', () => {
    const found = problems(`${head}  - name: a\n    run: cat /x\n    expect:\n      exit: 1\n      trace: "denied ("\n`);
    assert.deepEqual(found, ["7:14 cases[0].expect.trace: 'denied (' is not a valid regular expression: Unterminated group"]);
    hasProblem(problems(`${head}  - name: a\n    expect_on: { "6.1": { load: rejected, verifier: "[" } }\n`), 4, 'verifier');
  });

  it('ports out of range, in both forms', () => {
    assert.deepEqual(problems(`${head}  - name: a\n    connect: 127.0.0.1:65536\n    expect: denied\n`), [
      '4:14 cases[0].connect: port 65536 is not from 1 to 65535',
    ]);
    assert.deepEqual(problems(`${head}  - name: a\n    bind: { address: "::1", port: 0 }\n    expect: denied\n`), [
      '4:35 cases[0].bind.port: got 0, expected a whole number from 1 to 65535',
    ]);
  });

  it('addresses that are not IP addresses', () => {
    hasProblem(
      problems(`${head}  - name: a\n    connect: localhost:80\n    expect: denied\n`),
      4,
      "'localhost' is not an IPv4 or IPv6 address",
    );
    hasProblem(problems(`${head}  - name: a\n    connect: "::1:80"\n    expect: denied\n`), 4, 'write an IPv6 address in brackets');
    hasProblem(problems(`${head}  - name: a\n    connect: "[127.0.0.1]:80"\n    expect: denied\n`), 4, 'brackets are for IPv6 addresses');
    hasProblem(
      problems(`${head}  - name: a\n    connect: { address: 300.1.1.1, port: 80 }\n    expect: denied\n`),
      4,
      "cases[0].connect.address: '300.1.1.1' is not an IPv4 or IPv6 address",
    );
  });

  it('duplicate case names: on the second, naming the first', () => {
    const found = problems(
      `${head}  - name: same\n    open: /x\n    expect: allowed\n  - name: other\n    open: /y\n    expect: allowed\n  - name: same\n    open: /z\n    expect: denied\n`,
    );
    assert.deepEqual(found, ["9:11 cases[2].name: 'same' is already the name of cases[0] (line 3); case names must be unique"]);
  });

  it('a case without an expectation', () => {
    assert.deepEqual(problems(`${head}  - name: a\n    open: /x\n`), [
      '3:5 cases[0]: a case needs expect, or expect_on for the kernels it runs on',
    ]);
  });

  it('a case without a name', () => {
    assert.deepEqual(problems(`${head}  - open: /x\n    expect: allowed\n`), ['3:5 cases[0]: name is missing']);
  });

  it('missing program and cases', () => {
    assert.deepEqual(problems('kernels: ["6.1"]\n'), ['1:1 cases is missing', '1:1 program is missing']);
  });

  it('the same key twice', () => {
    hasProblem(
      problems(`${head}  - name: a\n    open: /x\n    open: /y\n    expect: allowed\n`),
      5,
      "'open' appears twice in this map (first on line 4)",
    );
  });

  it('a case with no action may expect only the load', () => {
    hasProblem(
      problems(`${head}  - name: a\n    expect: allowed\n`),
      4,
      'the case has no action, so only load and verifier can be expected',
    );
    valid(`${head}  - name: a\n    expect: { load: loads }\n`);
  });

  it('expectations that contradict their action', () => {
    hasProblem(problems(`${head}  - name: a\n    run: cat /x\n    expect: { errno: EPERM }\n`), 5, 'a run command has no errno');
    hasProblem(problems(`${head}  - name: a\n    open: /x\n    expect: { exit: 1 }\n`), 5, 'open has no exit status');
    hasProblem(
      problems(`${head}  - name: a\n    open: /x\n    expect: { load: rejected, errno: EPERM }\n`),
      5,
      'with load: rejected the program never runs',
    );
  });

  it('kernel series: quoted MAJOR.MINOR', () => {
    hasProblem(
      problems(`program: p\nkernels: [6.12, "6"]\ncases:\n  - name: a\n    open: /x\n    expect: allowed\n`),
      2,
      "kernels[1]: got '6'",
    );
    hasProblem(
      problems(`${head}  - name: a\n    open: /x\n    expect_on: { 6.10: denied }\n`),
      5,
      'write the kernel series "6.10" in quotes',
    );
    hasProblem(
      problems(`program: p\nkernels: ["6.1", "6.1"]\ncases:\n  - name: a\n    open: /x\n    expect: allowed\n`),
      2,
      'kernels[1]: repeats kernels[0]',
    );
  });

  it('a mode out of range', () => {
    hasProblem(
      problems(`${head}  - name: a\n    chmod: { path: /x, mode: 70000 }\n    expect: allowed\n`),
      4,
      'cases[0].chmod.mode: got 70000',
    );
    hasProblem(
      problems(`${head}  - name: a\n    chmod: { path: /x, mode: "0999" }\n    expect: allowed\n`),
      4,
      'expected a permission mode',
    );
  });

  it('each message of the invalid and semantic fixtures, at its line', () => {
    for (const kind of ['invalid', 'semantic']) {
      for (const name of fs.readdirSync(path.join(POLICY, kind))) {
        const text = fs.readFileSync(fixturePath(kind, name), 'utf8');
        const expected = [...text.matchAll(/^# expect: (\d+): (.*)$/gm)];
        assert.ok(expected.length > 0, `${kind}/${name} has no # expect: line`);
        const found = problems(text);
        for (const [, line, message] of expected) hasProblem(found, Number(line), message);
      }
    }
  });
});

describe('policy test files: hostile input', () => {
  const good = fs.readFileSync(fixturePath('valid', 'deny-open.lsmtest.yaml'), 'utf8');

  it('nested far too deep, as flow collections and as block indicators: refused before parsing', () => {
    for (const text of [
      `program: ${'['.repeat(400_000)}${']'.repeat(400_000)}`,
      `program: ${'{a: '.repeat(200_000)}`,
      `${'- '.repeat(400_000)}x`,
      `${'? '.repeat(400_000)}x`,
    ]) {
      const t0 = Date.now();
      assert.equal(neverThrows(text), 'problems');
      assert.match(parsePolicyTestFile(text, 'f').problems[0].message, /nested more than 64 levels deep/);
      assert.ok(Date.now() - t0 < timeLimit(2000), `took ${Date.now() - t0} ms`);
    }
  });

  it('deep block nesting by indentation', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    assert.equal(neverThrows(text), 'problems');
  });

  it('alias bombs', () => {
    let bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    let prev = 'a';
    for (let i = 0; i < 10; i++) {
      bomb += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
      prev = `b${i}`;
    }
    assert.equal(neverThrows(bomb), 'problems');
    assert.match(parsePolicyTestFile(bomb, 'f').problems[0].message, /too many aliases/);
    const cases = `program: p\ncases:\n  - &c {name: a, open: /x, expect: allowed}\n${'  - *c\n'.repeat(300)}`;
    assert.equal(neverThrows(cases), 'problems');
  });

  it('JavaScript and other tags are refused, not run or kept', () => {
    for (const tag of [
      '!!js/function "function(){}"',
      '!!js/undefined ""',
      '!!python/object:os.system ls',
      '!<tag:yaml.org,2002:js/regexp> /x/',
    ]) {
      const text = `program: p\ncases:\n  - name: a\n    run: ${tag}\n    expect: allowed\n`;
      assert.equal(neverThrows(text), 'problems');
      assert.match(parsePolicyTestFile(text, 'f').problems[0].message, /^YAML: /);
    }
  });

  it('over the size limit', () => {
    const text = `program: p\n# ${'x'.repeat(MAX_TEST_FILE_BYTES)}\n`;
    assert.equal(neverThrows(text), 'problems');
    assert.match(parsePolicyTestFile(text, 'f').problems[0].message, /over the 1024 KiB limit/);
  });

  it('tens of thousands of fields, cases and errors: a bounded list of problems', () => {
    const keys = `program: p\ncases:\n  - name: a\n${Array.from({ length: 30_000 }, (_, i) => `    k${i}: ${i}`).join('\n')}\n`;
    assert.equal(neverThrows(keys), 'problems');
    const cases = `program: p\ncases:\n${Array.from({ length: 20_000 }, (_, i) => `  - {nam: c${i}, opn: 1}`).join('\n')}\n`;
    const found = parsePolicyTestFile(cases, 'f').problems;
    assert.equal(found.length, 51);
    assert.match(found[50].message, /^and \d+ more problems$/);
  });

  it('control characters, NULs, __proto__ and constructor', () => {
    const model = valid('program: "p\\0"\ncases:\n  - name: "\\0\\x1b[31m\\u202e"\n    run: "\\x07"\n    expect: allowed\n');
    assert.equal(model.cases[0].name, '\0\x1b[31m\u202e');
    assert.equal(neverThrows('program: p\n__proto__: {polluted: 1}\ncases: []\n'), 'problems');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const proto = parsePolicyTestFile(
      'program: p\ncases:\n  - name: a\n    open: /x\n    expect_on: {"__proto__": allowed, "constructor": denied}\n',
      'f',
    );
    assert.ok(proto.problems.some((p) => p.message.includes("got the key '__proto__'")));
  });

  it('not a map: a scalar, a list, an empty file, comments only, several documents, complex keys', () => {
    for (const text of [
      'hello',
      '- a\n- b\n',
      '',
      '# nothing\n',
      'program: a\n---\nprogram: b\n',
      '? [a, b]\n: 1\n',
      'null',
      '~',
      '"x": !!binary AAAA',
    ]) {
      assert.equal(neverThrows(text), 'problems', JSON.stringify(text));
    }
  });

  it('every single-character deletion and a thousand random mutations of a valid file', () => {
    // A seeded generator, so that a failure can be replayed.
    let seed = 0x1badb002;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const pieces = [
      '[',
      ']',
      '{',
      '}',
      ':',
      '- ',
      '"',
      "'",
      '\n',
      '  ',
      '&a ',
      '*a',
      '!!',
      '#',
      '\0',
      '\t',
      'EPERM',
      '6.10',
      '\\',
      '|',
      '>',
    ];
    for (let i = 0; i < good.length; i += 3) neverThrows(good.slice(0, i) + good.slice(i + 1));
    for (let n = 0; n < 1000; n++) {
      let text = good;
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        const at = Math.floor(random() * text.length);
        const cut = Math.floor(random() * 6);
        text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at + cut);
      }
      neverThrows(text);
    }
  });
});

describe('policy test files: reading and finding them', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsmtest-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a file and parses it', () => {
    const file = path.join(dir, 'ok.lsmtest.yaml');
    fs.copyFileSync(fixturePath('valid', 'minimal.lsmtest.yaml'), file);
    const r = loadPolicyTestFile(file);
    assert.deepEqual(r.problems, []);
    assert.equal(r.file?.program, path.join(dir, 'p.bpf.c'));
  });

  it('a missing file, a folder, a file over the limit, and bytes that are not UTF-8: one problem each', () => {
    const big = path.join(dir, 'big.lsmtest.yaml');
    fs.writeFileSync(big, Buffer.alloc(MAX_TEST_FILE_BYTES + 1, 0x20));
    const latin1 = path.join(dir, 'latin1.lsmtest.yaml');
    fs.writeFileSync(latin1, Buffer.from('program: caf\xe9.bpf.c\ncases: []\n', 'latin1'));
    for (const [file, why] of [
      [path.join(dir, 'missing.lsmtest.yaml'), 'no such file'],
      [dir, 'is a directory'],
      [big, 'over the 1024 KiB limit'],
      [latin1, 'is not UTF-8 text'],
    ]) {
      const r = loadPolicyTestFile(file);
      assert.equal(r.file, undefined);
      assert.equal(r.problems.length, 1, file);
      assert.equal(r.problems[0].line, 1);
      assert.ok(r.problems[0].message.includes(why), r.problems[0].message);
    }
  });

  it('a FIFO is refused without being opened (it would wait for a writer)', (t) => {
    const fifo = path.join(dir, 'fifo.lsmtest.yaml');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      t.skip('mkfifo is not available');
      return;
    }
    const module = path.join(REPO_ROOT, 'out', 'policy', 'src', 'testFile.js');
    const script = `console.log(JSON.stringify(require(${JSON.stringify(module)}).loadPolicyTestFile(${JSON.stringify(fifo)})))`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
    assert.equal(r.error, undefined, 'reading the FIFO did not finish');
    const result = JSON.parse(r.stdout);
    assert.match(result.problems[0].message, /is a FIFO \(named pipe\), not a policy test file/);
  });

  it('finds *.lsmtest.yaml recursively, sorted, outside node_modules, .git, out, dist and .cache', () => {
    const root = path.join(dir, 'tree');
    const files = ['b.lsmtest.yaml', 'a/z.lsmtest.yaml', 'a/b/c/deep.lsmtest.yaml', 'A.lsmtest.yaml'];
    const ignored = [
      'node_modules/x.lsmtest.yaml',
      '.git/x.lsmtest.yaml',
      'out/x.lsmtest.yaml',
      'a/dist/x.lsmtest.yaml',
      '.cache/x.lsmtest.yaml',
      'a/notes.yaml',
      'a/x.lsmtest.yml',
    ];
    for (const f of [...files, ...ignored]) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), '');
    }
    const found = findPolicyTestFiles([root]);
    assert.deepEqual(
      found,
      files.map((f) => path.join(root, f)).sort((x, y) => (x < y ? -1 : 1)),
    );
    // A file named as a root is taken whatever its name; a root inside a skipped folder is searched.
    assert.deepEqual(findPolicyTestFiles([path.join(root, 'a', 'notes.yaml')]), [path.join(root, 'a', 'notes.yaml')]);
    assert.deepEqual(findPolicyTestFiles([path.join(root, 'out')]), [path.join(root, 'out', 'x.lsmtest.yaml')]);
    assert.throws(() => findPolicyTestFiles([path.join(root, 'nope')]), /no such file or folder/);
  });

  it('symbolic link loops end, and a file reached twice is listed once', () => {
    const root = path.join(dir, 'links');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'sub', 't.lsmtest.yaml'), '');
    fs.symlinkSync('..', path.join(root, 'sub', 'up')); // sub/up → root: a loop
    fs.symlinkSync(root, path.join(root, 'self'));
    fs.symlinkSync('t.lsmtest.yaml', path.join(root, 'sub', 'again.lsmtest.yaml'));
    fs.symlinkSync('missing', path.join(root, 'dangling.lsmtest.yaml'));
    fs.symlinkSync('me.lsmtest.yaml', path.join(root, 'me.lsmtest.yaml'), 'file'); // ELOOP
    // Of the names of one file, the one by which it is not a link is listed.
    assert.deepEqual(findPolicyTestFiles([root, root]), [path.join(root, 'sub', 't.lsmtest.yaml')]);
  });
});
