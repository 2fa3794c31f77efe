// The reports of a policy-test run: JUnit XML read back with a real XML parser (counts, names, failure
// messages, hostile case names with markup and control characters), TAP (plan, test points, YAML
// diagnostics read back with a YAML parser) and the human-readable spec report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import type { CaseResult, FileProblem, FileRun } from '../../policy/src/model';
import { reportJunit } from '../../policy/src/reporters/junit';
import { reportSpec } from '../../policy/src/reporters/spec';
import { reportTap } from '../../policy/src/reporters/tap';

const ROOT = '/work/project';
const options = { relativeTo: ROOT };
/** Markup, quotes, a newline, a tab, a NUL, a bell, an escape, a lone surrogate and a TAP directive. */
const HOSTILE = `denies <open> & "cat" 'x' ]]> \n\t\0\x07\x1b[31m \ud800 # TODO not really`;

function kase(name: string, status: CaseResult['status'], messages: string[] = [], output = '', line = 3): CaseResult {
  return { name, pos: { line, column: 5 }, status, messages, output, durationMs: 25 };
}

const runs: FileRun[] = [
  {
    file: `${ROOT}/policy/deny-open.lsmtest.yaml`,
    kernel: '6.12',
    release: '6.12.38+deb13-amd64',
    durationMs: 1500,
    cases: [
      kase('denies the secret file', 'passed', [], '$ open /tmp/lsm-secret\nfailed: EPERM (1)', 6),
      kase(
        'other files still open',
        'failed',
        ['expected the action to be allowed, got EPERM (1)'],
        '$ open /tmp/lsm-other\nfailed: EPERM (1)',
        9,
      ),
      kase(
        HOSTILE,
        'failed',
        ['expected errno EPERM (1), got success', `expected stderr to match /x/, got: '<&>'`],
        `out\x00put <b>&amp; \x1b[0m`,
        12,
      ),
      kase('refused on 6.12 only', 'skipped', ['no expectation for kernel 6.12'], '', 15),
      kase('the case broke', 'error', ['the case could not run: ssh: connection lost'], '', 18),
    ],
  },
  {
    file: `${ROOT}/policy/deny-open.lsmtest.yaml`,
    kernel: '6.1',
    durationMs: 800,
    cases: [kase('denies the secret file', 'passed'), kase('other files still open', 'passed')],
  },
  {
    file: `${ROOT}/policy/net.lsmtest.yaml`,
    kernel: '6.1',
    durationMs: 10,
    error: 'the program did not compile:\nnet.bpf.c:3:1: error: unknown type name',
    cases: [],
  },
];
const problems: FileProblem[] = [
  {
    file: `${ROOT}/policy/bad.lsmtest.yaml`,
    line: 9,
    column: 14,
    message: "cases[1].expect.errno: got 'EPRM', expected a Linux errno name (did you mean EPERM?)",
  },
  { file: `${ROOT}/policy/bad.lsmtest.yaml`, line: 12, column: 5, message: 'cases[2]: name is missing' },
];

/** What a valid XML parser gives back, with every suite and case as a list. */
function parseJunit(xml: string) {
  assert.equal(XMLValidator.validate(xml), true, String(JSON.stringify(XMLValidator.validate(xml))));
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    htmlEntities: true,
    parseAttributeValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  type Attrs = Record<string, string>;
  type TestCase = Attrs & {
    failure?: Attrs & { '#text': string };
    error?: Attrs & { '#text': string };
    skipped?: Attrs | '';
    'system-out'?: string;
  };
  type Suite = Attrs & { testcase: TestCase[]; properties?: { property: Attrs[] }; 'system-err'?: string };
  return parser.parse(xml).testsuites as Attrs & { testsuite: Suite[] };
}

describe('JUnit report', () => {
  const xml = reportJunit(runs, problems, options);
  const doc = parseJunit(xml);

  it('is an XML 1.0 document with one testsuite per file on a kernel, and one per malformed file', () => {
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites'));
    assert.deepEqual(
      doc.testsuite.map((s) => s.name),
      [
        'policy/deny-open.lsmtest.yaml [6.12]',
        'policy/deny-open.lsmtest.yaml [6.1]',
        'policy/net.lsmtest.yaml [6.1]',
        'policy/bad.lsmtest.yaml',
      ],
    );
  });

  it('counts tests, failures, errors and skipped per suite and in total', () => {
    const counts = doc.testsuite.map((s) => [s.tests, s.failures, s.errors, s.skipped].join('/'));
    assert.deepEqual(counts, ['5/2/1/1', '2/0/0/0', '1/0/1/0', '1/0/1/0']);
    assert.deepEqual([doc.tests, doc.failures, doc.errors, doc.skipped], ['9', '2', '3', '1']);
    for (const s of doc.testsuite) assert.equal(String(s.testcase.length), s.tests, s.name);
    assert.deepEqual(
      doc.testsuite.map((s) => s.time),
      ['1.500', '0.800', '0.010', '0.000'],
    );
    assert.equal(doc.time, '2.310');
  });

  it('names each case, with its suite as class, its time, file and line', () => {
    const [first] = doc.testsuite;
    assert.deepEqual(
      first.testcase.map((c) => [c.classname, c.name, c.time, c.line]),
      [
        ['policy/deny-open.lsmtest.yaml [6.12]', 'denies the secret file', '0.025', '6'],
        ['policy/deny-open.lsmtest.yaml [6.12]', 'other files still open', '0.025', '9'],
        ['policy/deny-open.lsmtest.yaml [6.12]', first.testcase[2].name, '0.025', '12'],
        ['policy/deny-open.lsmtest.yaml [6.12]', 'refused on 6.12 only', '0.025', '15'],
        ['policy/deny-open.lsmtest.yaml [6.12]', 'the case broke', '0.025', '18'],
      ],
    );
    assert.equal(first.testcase[0].file, `${ROOT}/policy/deny-open.lsmtest.yaml`);
    assert.deepEqual(first.properties?.property, [
      { name: 'kernel', value: '6.12' },
      { name: 'release', value: '6.12.38+deb13-amd64' },
    ]);
  });

  it('failures carry the first message as message and all of them as text; errors and skips theirs', () => {
    const cases = doc.testsuite[0].testcase;
    assert.equal(cases[1].failure?.message, 'expected the action to be allowed, got EPERM (1)');
    assert.equal(cases[1].failure?.['#text'], 'expected the action to be allowed, got EPERM (1)');
    assert.equal(cases[2].failure?.message, 'expected errno EPERM (1), got success (and 1 more)');
    assert.equal(cases[2].failure?.['#text'], "expected errno EPERM (1), got success\nexpected stderr to match /x/, got: '<&>'");
    assert.equal(cases[4].error?.message, 'the case could not run: ssh: connection lost');
    assert.deepEqual(cases[3].skipped, { message: 'no expectation for kernel 6.12' });
    assert.equal(cases[0].failure, undefined);
    assert.equal(cases[0]['system-out'], '$ open /tmp/lsm-secret\nfailed: EPERM (1)');
  });

  it('a hostile case name survives: markup and quotes exactly, characters XML cannot hold as \\uXXXX', () => {
    const name = doc.testsuite[0].testcase[2].name;
    assert.equal(name, `denies <open> & "cat" 'x' ]]> \n\t\\u0000\\u0007\\u001b[31m \\ud800 # TODO not really`);
    assert.equal(doc.testsuite[0].testcase[2]['system-out'], 'out\\u0000put <b>&amp; \\u001b[0m');
    // No character outside XML 1.0's Char production is left anywhere in the document.
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]|[\ud800-\udfff]/);
  });

  it('a run that stopped before its cases is one errored test, and a malformed file one more', () => {
    const net = doc.testsuite[2];
    assert.equal(net.testcase[0].error?.message, 'the program did not compile:\nnet.bpf.c:3:1: error: unknown type name');
    assert.equal(net['system-err'], 'the program did not compile:\nnet.bpf.c:3:1: error: unknown type name');
    const bad = doc.testsuite[3];
    assert.equal(bad.testcase[0].line, '9');
    assert.match(bad.testcase[0].error?.message ?? '', /^malformed test file: 9:14: cases\[1\]\.expect\.errno: .* \(and 1 more\)$/);
    assert.equal(
      bad.testcase[0].error?.['#text'],
      "policy/bad.lsmtest.yaml:9:14: cases[1].expect.errno: got 'EPRM', expected a Linux errno name (did you mean EPERM?)\npolicy/bad.lsmtest.yaml:12:5: cases[2]: name is missing",
    );
  });

  it('an empty run is a valid document with zero tests', () => {
    const empty = parseJunit(reportJunit([], []));
    assert.equal(empty.tests, '0');
    assert.equal(empty.testsuite, undefined);
  });
});

describe('TAP report', () => {
  const tap = reportTap(runs, problems, options);
  const lines = tap.split('\n');
  const points = lines.filter((l) => /^(not )?ok \d+ /.test(l));

  it('TAP version 13, a plan that matches the test points, numbered in order', () => {
    assert.equal(lines[0], 'TAP version 13');
    assert.equal(lines[1], '1..9');
    assert.equal(points.length, 9);
    points.forEach((p, i) => assert.match(p, new RegExp(`^(not )?ok ${i + 1} - `)));
  });

  it('ok, not ok and # SKIP per case', () => {
    assert.deepEqual(
      points.map((p) => p.replace(/ - .*?( # SKIP.*)?$/, '$1')),
      ['ok 1', 'not ok 2', 'not ok 3', 'ok 4 # SKIP no expectation for kernel 6.12', 'not ok 5', 'ok 6', 'ok 7', 'not ok 8', 'not ok 9'],
    );
    assert.equal(points[0], 'ok 1 - policy/deny-open.lsmtest.yaml [6.12] > denies the secret file');
    assert.equal(points[7], 'not ok 8 - policy/net.lsmtest.yaml [6.1]');
    assert.equal(points[8], 'not ok 9 - policy/bad.lsmtest.yaml (malformed)');
  });

  it('a hostile name stays on its line, and its # is not read as a directive', () => {
    assert.equal(
      points[2],
      `not ok 3 - policy/deny-open.lsmtest.yaml [6.12] > denies <open> & "cat" 'x' ]]> \\\\n\\\\t\\\\u0000\\\\u0007\\\\u001b[31m \ud800 \\# TODO not really`,
    );
    assert.ok(!/ # (TODO|SKIP)/i.test(points[2]));
  });

  it('each failure has a YAML diagnostics block that reads back with its messages and place', () => {
    const blocks: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== '  ---') continue;
      const end = lines.indexOf('  ...', i);
      assert.ok(end > i, 'a diagnostics block does not end');
      blocks.push(
        parseYaml(
          lines
            .slice(i + 1, end)
            .map((l) => l.slice(2))
            .join('\n'),
        ),
      );
      i = end;
    }
    assert.equal(blocks.length, 5);
    assert.deepEqual(blocks[1], {
      message: 'expected errno EPERM (1), got success',
      severity: 'fail',
      messages: ['expected errno EPERM (1), got success', "expected stderr to match /x/, got: '<&>'"],
      at: { file: `${ROOT}/policy/deny-open.lsmtest.yaml`, line: 12, column: 5 },
      kernel: '6.12',
      release: '6.12.38+deb13-amd64',
      duration_ms: 25,
      output: 'out\x00put <b>&amp; \x1b[0m',
    });
    assert.equal((blocks[2] as { severity: string }).severity, 'error');
    assert.deepEqual((blocks[4] as { problems: string[] }).problems, [
      "9:14: cases[1].expect.errno: got 'EPRM', expected a Linux errno name (did you mean EPERM?)",
      '12:5: cases[2]: name is missing',
    ]);
  });

  it('output with a line of three dots does not end the block early', () => {
    const tricky = reportTap([{ ...runs[1], cases: [kase('x', 'failed', ['m'], 'a\n...\n  ...\nb')] }]);
    const block = tricky.split('\n');
    assert.equal(block.filter((l) => l === '  ...').length, 1);
    assert.equal(block[block.length - 2], '  ...');
  });

  it('no runs: an empty plan', () => {
    assert.equal(reportTap([], []), 'TAP version 13\n1..0\n');
  });
});

describe('spec report', () => {
  const spec = reportSpec(runs, problems, options);
  const lines = spec.split('\n');

  it('a heading per run, a line per case with its mark, failure messages indented under it', () => {
    assert.deepEqual(lines.slice(0, 10), [
      'policy/deny-open.lsmtest.yaml [6.12] (6.12.38+deb13-amd64)',
      '  ✓ denies the secret file (25 ms)',
      '  ✗ other files still open (25 ms)',
      '      expected the action to be allowed, got EPERM (1)',
      `  ✗ denies <open> & "cat" 'x' ]]> \\n\\t\\u0000\\u0007\\u001b[31m \ud800 # TODO not really (25 ms)`,
      '      expected errno EPERM (1), got success',
      "      expected stderr to match /x/, got: '<&>'",
      '  - refused on 6.12 only (skipped: no expectation for kernel 6.12)',
      '  ! the case broke (error) (25 ms)',
      '      the case could not run: ssh: connection lost',
    ]);
  });

  it('a run that stopped shows why; malformed files are listed with file:line:column', () => {
    assert.ok(
      spec.includes(
        'policy/net.lsmtest.yaml [6.1]\n  error: the program did not compile:\n         net.bpf.c:3:1: error: unknown type name\n',
      ),
    );
    assert.ok(
      spec.includes(
        "malformed test files:\n  policy/bad.lsmtest.yaml:9:14: cases[1].expect.errno: got 'EPRM', expected a Linux errno name (did you mean EPERM?)\n  policy/bad.lsmtest.yaml:12:5: cases[2]: name is missing\n",
      ),
    );
  });

  it('ends with a summary line', () => {
    assert.equal(lines[lines.length - 2], '3 passed, 2 failed, 2 errors, 1 skipped, 1 malformed file (3 file×kernel runs)');
    assert.equal(lines[lines.length - 1], '');
  });

  it('no terminal escape or stray newline from a case name reaches the output', () => {
    assert.ok(!spec.includes('\x1b') && !spec.includes('\0'));
    assert.equal(lines.filter((l) => l.includes('TODO not really')).length, 1);
  });

  it('files outside the folder are shown by their absolute path', () => {
    assert.match(reportSpec(runs, [], { relativeTo: '/elsewhere' }), /^\/work\/project\/policy\/deny-open\.lsmtest\.yaml \[6\.12\]/);
  });
});
