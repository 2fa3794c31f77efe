// The SARIF log and the terminal escapes, built in this process with every field written out (sarif.test.ts
// runs the linter and validates its output against the schema; this pins what each field holds).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { artifactLocation, sarifLevel, sarifLog, SARIF_SCHEMA } from '../../server/src/cli/sarif';
import { escapeForTerminal, jsonForTerminal } from '../../server/src/cli/terminalText';
import { relativeInside } from '../../server/src/ctext/relativeInside';
import type { Finding } from '../../server/src/analysis/findings';

const range = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });

describe('the SARIF log, field by field', () => {
  it('levels: errors and warnings keep theirs, information and hints are notes', () => {
    assert.deepEqual((['error', 'warning', 'information', 'hint'] as const).map(sarifLevel), ['error', 'warning', 'note', 'note']);
  });

  it('locations: relative to %SRCROOT% inside the working directory, each segment encoded; else an absolute file URI', () => {
    assert.deepEqual(artifactLocation('src/a b#1.bpf.c', '/work/p'), { uri: 'src/a%20b%231.bpf.c', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(artifactLocation('/work/p/x.c', '/work/p'), { uri: 'x.c', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(artifactLocation('../q/y.c', '/work/p'), { uri: 'file:///work/q/y.c' });
    assert.deepEqual(artifactLocation('/etc/z.c', '/work/p'), { uri: 'file:///etc/z.c' });
    assert.deepEqual(artifactLocation('.', '/work/p'), { uri: 'file:///work/p' });
    assert.deepEqual(artifactLocation('..hidden.c', '/work/p'), { uri: '..hidden.c', uriBaseId: '%SRCROOT%' });
  });

  it('results, fixes, rules and a successful invocation', () => {
    const findings: Finding[] = [
      {
        code: 'unknown-hook',
        severity: 'error',
        range: range(4, 9, 20),
        message: "'file_opn' is not an LSM hook",
        fixes: [{ title: "Change to 'file_open'", edits: [{ range: range(4, 9, 17), newText: 'file_open' }] }],
      },
      { code: 'license', severity: 'hint', range: range(0, 0, 3), message: 'no licence', fixes: [] },
    ];
    const log = sarifLog([{ file: 'a.bpf.c', findings }], '/work/p');
    assert.equal(log.$schema, SARIF_SCHEMA);
    assert.equal(log.version, '2.1.0');
    const [run] = log.runs;
    assert.equal(run.tool.driver.name, 'bpf-lsm-lint');
    assert.equal(run.tool.driver.version, '0.1.0');
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/p/' } });
    assert.deepEqual(run.invocations, [{ executionSuccessful: true }]);
    assert.equal(run.columnKind, 'utf16CodeUnits');
    const location = { uri: 'a.bpf.c', uriBaseId: '%SRCROOT%' };
    const ids = run.tool.driver.rules.map((r) => r.id);
    assert.deepEqual(run.results, [
      {
        ruleId: 'unknown-hook',
        ruleIndex: ids.indexOf('unknown-hook'),
        level: 'error',
        message: { text: "'file_opn' is not an LSM hook" },
        locations: [
          { physicalLocation: { artifactLocation: location, region: { startLine: 5, startColumn: 10, endLine: 5, endColumn: 21 } } },
        ],
        fixes: [
          {
            description: { text: "Change to 'file_open'" },
            artifactChanges: [
              {
                artifactLocation: location,
                replacements: [
                  {
                    deletedRegion: { startLine: 5, startColumn: 10, endLine: 5, endColumn: 18 },
                    insertedContent: { text: 'file_open' },
                  },
                ],
              },
            ],
          },
        ],
      },
      {
        ruleId: 'license',
        ruleIndex: ids.indexOf('license'),
        level: 'note',
        message: { text: 'no licence' },
        locations: [
          { physicalLocation: { artifactLocation: location, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 4 } } },
        ],
      },
    ]);
    assert.ok(ids.indexOf('license') >= 0 && ids.indexOf('unknown-hook') >= 0);
    const rule = run.tool.driver.rules.find((r) => r.id === 'unknown-hook')!;
    assert.equal(rule.defaultConfiguration.level, 'error');
    // The summary's `code` spans lose their backticks in the plain text, and keep them in Markdown.
    const marked = run.tool.driver.rules.find((r) => r.shortDescription.markdown.includes('`'))!;
    assert.equal(marked.shortDescription.text, marked.shortDescription.markdown.replace(/`/g, ''));
    assert.notEqual(marked.shortDescription.text, marked.shortDescription.markdown);
  });

  it('a file that could not be linted makes the run unsuccessful, with a notification where it was', () => {
    const log = sarifLog([], '/work/p/', [{ file: 'gone.c', message: 'cannot read gone.c' }]);
    const [run] = log.runs;
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/p/' } });
    assert.deepEqual(run.results, []);
    assert.deepEqual(run.invocations, [
      {
        executionSuccessful: false,
        toolExecutionNotifications: [
          {
            level: 'error',
            message: { text: 'cannot read gone.c' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'gone.c', uriBaseId: '%SRCROOT%' } } }],
          },
        ],
      },
    ]);
  });
});

describe('text for the terminal', () => {
  it('escapes controls, separators and bidi marks visibly, and keeps tabs and ordinary text', () => {
    assert.equal(escapeForTerminal('a\nb\rc\x1bd'), 'a\\nb\\rc\\ed');
    assert.equal(escapeForTerminal('\x00\x08\x0b\x1f\x7f\x9f'), '\\x00\\x08\\x0b\\x1f\\x7f\\x9f');
    assert.equal(escapeForTerminal('x\u2028\u202ey\u2066'), 'x\\u{2028}\\u{202e}y\\u{2066}');
    assert.equal(escapeForTerminal('\tü é 漢 \x20~'), '\tü é 漢  ~');
  });

  it('JSON: what JSON.stringify leaves raw is escaped as \\uXXXX, the rest as JSON.stringify gives it', () => {
    const value = { name: 'a\u202eb\x7f\u2028', line: 'x\ny' };
    const text = jsonForTerminal(value);
    assert.equal(text, '{\n  "name": "a\\u202eb\\u007f\\u2028",\n  "line": "x\\ny"\n}');
    assert.deepEqual(JSON.parse(text), value);
  });
});

describe('relativeInside', () => {
  it('gives the path from a folder to a file strictly inside it, and nothing for the folder, its parents or elsewhere', () => {
    assert.equal(relativeInside('/work/p', '/work/p/src/a.c'), 'src/a.c');
    assert.equal(relativeInside('/work/p', '/work/p/..hidden.c'), '..hidden.c');
    assert.equal(relativeInside('/work/p', '/work/p'), undefined);
    assert.equal(relativeInside('/work/p', '/work'), undefined);
    assert.equal(relativeInside('/work/p', '/work/q/a.c'), undefined);
    assert.equal(relativeInside('/work/p', '/work/pp/a.c'), undefined);
  });
});
