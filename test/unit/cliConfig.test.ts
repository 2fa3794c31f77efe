// bpf-lsm-lint and the project configuration file: found by walking up from each file, or given with
// --config; flags win over it, it wins over the defaults; a malformed one is one line and exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, FIXTURES } from '../helpers/paths';

function lint(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `code:severity` of each finding line. */
const findings = (stdout: string) =>
  [...stdout.matchAll(/: (error|warning|information|hint): .*\[([a-z-]+)\]$/gm)].map((m) => `${m[2]}:${m[1]}`);

describe('bpf-lsm-lint with bpf-lsm.config.json', () => {
  let dir: string;
  const history = fs.readFileSync(path.join(FIXTURES, 'lint', 'kernel-history.bpf.c'), 'utf8');
  const write = (rel: string, text: string) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-lint-config-'));
    write('project/bpf-lsm.config.json', JSON.stringify({ kernel: '5.15', disabledChecks: ['unsupported-section'] }));
    write('project/src/deep/prog.bpf.c', history);
    write('elsewhere/prog.bpf.c', history);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the nearest config file above each linted file', () => {
    const r = lint(dir, 'project/src/deep/prog.bpf.c', 'elsewhere/prog.bpf.c');
    assert.equal(r.status, 1);
    const [inProject, outside] = [
      r.stdout.split('\n').filter((l) => l.startsWith('project/')),
      r.stdout.split('\n').filter((l) => l.startsWith('elsewhere/')),
    ];
    assert.deepEqual(findings(inProject.join('\n')), ['hook-not-in-kernel:error', 'unknown-hook:error']);
    assert.deepEqual(findings(outside.join('\n')), ['unknown-hook:error']);
    assert.match(r.stderr, /^note: kernel 5\.15: using the hook table of 5\.15\.85/m);
  });

  it('uses the file --config names, for every file', () => {
    const config = write('other.json', JSON.stringify({ severity: { 'unknown-hook': 'warning' } }));
    const r = lint(dir, '--config', config, 'project/src/deep/prog.bpf.c', 'elsewhere/prog.bpf.c');
    assert.deepEqual(r, { status: 0, stdout: r.stdout, stderr: '' });
    assert.deepEqual(findings(r.stdout), ['unknown-hook:warning', 'unknown-hook:warning']);
  });

  it('lets flags win over the config file', () => {
    assert.deepEqual(findings(lint(dir, '--kernel', '6.12', 'project/src/deep/prog.bpf.c').stdout), ['unknown-hook:error']);
    assert.deepEqual(findings(lint(dir, '--disable', 'unknown-hook', 'project/src/deep/prog.bpf.c').stdout), [
      'hook-not-in-kernel:error',
      'unsupported-section:error',
    ]);
  });

  it('reads hookDefsPath and btfPath relative to the config file', () => {
    const config = write('rel/bpf-lsm.config.json', JSON.stringify({ hookDefsPath: 'headers/lsm_hook_defs.h' }));
    write('rel/prog.bpf.c', history);
    const r = lint(dir, 'rel/prog.bpf.c');
    assert.deepEqual(r, {
      status: 2,
      stdout: '',
      stderr: `bpf-lsm-lint: ${config}: hookDefsPath ${path.join(dir, 'rel', 'headers', 'lsm_hook_defs.h')}: no such file\n`,
    });
    write('rel/bpf-lsm.config.json', JSON.stringify({ btfPath: 'vmlinux' }));
    assert.equal(
      lint(dir, 'rel/prog.bpf.c').stderr,
      `bpf-lsm-lint: ${config}: btfPath ${path.join(dir, 'rel', 'vmlinux')}: no such file\n`,
    );
  });

  it('refuses a malformed config file in one line naming it, with exit status 2', () => {
    const cases: [string, RegExp][] = [
      ['{ "kernel": "6.12", }', /: not valid JSON \(/],
      ['[1, 2]', /: must be a JSON object$/],
      ['{ "kernel": 6.12 }', /: "kernel" must be a non-empty string$/],
      [
        '{ "disabledChecks": ["license", "no-such-check"] }',
        /: "disabledChecks": unknown check code\(s\) no-such-check; known: unknown-hook, .*misleading-indentation, license, unused-suppression, verifier-rejected$/,
      ],
      ['{ "severity": { "licence": "error" } }', /: "severity": unknown check code\(s\) licence; known: /],
      ['{ "severity": { "license": "fatal" } }', /: "severity": "license" must be error, warning, information or hint$/],
      ['{ "includePaths": "include" }', /: "includePaths" must be an array of non-empty strings$/],
      ['{ "test": { "kernels": [6.1] } }', /: "test.kernels" must be an array of non-empty strings$/],
      ['{ "kernal": "6.12" }', /: unknown field\(s\) kernal; known: kernel, /],
    ];
    for (const [text, expected] of cases) {
      const config = write('bad/bpf-lsm.config.json', text);
      write('bad/prog.bpf.c', history);
      for (const args of [['bad/prog.bpf.c'], ['--config', config, 'elsewhere/prog.bpf.c']]) {
        const r = lint(dir, ...args);
        assert.equal(r.status, 2, text);
        assert.equal(r.stdout, '', text);
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.ok(lines[0].startsWith(`bpf-lsm-lint: ${config}: `), lines[0]);
        assert.match(lines[0], expected);
      }
    }
    assert.deepEqual(lint(dir, '--config', path.join(dir, 'none.json'), 'elsewhere/prog.bpf.c'), {
      status: 2,
      stdout: '',
      stderr: `bpf-lsm-lint: ${path.join(dir, 'none.json')}: no such file\n`,
    });
    assert.equal(lint(dir, '--config', '', 'elsewhere/prog.bpf.c').stderr, 'bpf-lsm-lint: --config needs a file name\n');
  });

  it('accepts every field the schema names', () => {
    write(
      'full/bpf-lsm.config.json',
      JSON.stringify({
        $schema: 'https://example.invalid/bpf-lsm.config.schema.json',
        kernel: '6.12',
        disabledChecks: ['license'],
        severity: { 'unknown-hook': 'warning' },
        includePaths: ['include', '/usr/include/bpf'],
        test: { kernels: ['6.1', '6.12'] },
      }),
    );
    write('full/prog.bpf.c', history);
    const r = lint(dir, 'full/prog.bpf.c');
    assert.deepEqual(r, { status: 0, stdout: r.stdout, stderr: '' });
    assert.deepEqual(findings(r.stdout), ['unknown-hook:warning']);
  });
});
