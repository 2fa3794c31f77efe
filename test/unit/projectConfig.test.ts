// bpf-lsm.config.json: the committed JSON schema and the parser the CLI and the server share agree on
// the example configs (test/fixtures/config), checked with a small validator of the schema keywords used.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS } from '../../common/settings';
import { ConfigError, findProjectConfig, parseProjectConfig, readProjectConfig } from '../../server/src/config/projectConfig';
import { withProjectConfig } from '../../server/src/lsp/projectSettings';
import { KNOWN_CHECK_CODES } from '../helpers/expectations';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

interface Schema {
  type?: 'object' | 'array' | 'string';
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  enum?: string[];
  minLength?: number;
}

const KEYWORDS = new Set([
  '$schema',
  'title',
  'description',
  'examples',
  'type',
  'properties',
  'additionalProperties',
  'propertyNames',
  'items',
  'enum',
  'minLength',
]);

/** The errors of `value` against `schema` (the keywords above only; any other keyword fails the test). */
function validate(schema: Schema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) assert.ok(KEYWORDS.has(k), `schema keyword ${k} at ${at} is not checked here`);
  const errors: string[] = [];
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (schema.type === 'object' && !isObject) return [`${at}: not an object`];
  if (schema.type === 'array' && !Array.isArray(value)) return [`${at}: not an array`];
  if (schema.type === 'string' && typeof value !== 'string') return [`${at}: not a string`];
  if (schema.enum && !schema.enum.includes(value as string)) errors.push(`${at}: not one of the enum`);
  if (schema.minLength !== undefined && typeof value === 'string' && value.length < schema.minLength) errors.push(`${at}: too short`);
  if (schema.items && Array.isArray(value)) value.forEach((v, i) => errors.push(...validate(schema.items!, v, `${at}[${i}]`)));
  if (isObject) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames, k, `${at}.${k} (name)`));
      const own = schema.properties?.[k];
      if (own) errors.push(...validate(own, v, `${at}.${k}`));
      else if (schema.additionalProperties === false) errors.push(`${at}.${k}: not allowed`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties, v, `${at}.${k}`));
    }
  }
  return errors;
}

const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas', 'bpf-lsm.config.schema.json'), 'utf8')) as Schema;
const examples = (kind: 'valid' | 'invalid') =>
  fs.readdirSync(path.join(FIXTURES, 'config', kind)).map((f) => path.join(FIXTURES, 'config', kind, f));

describe('bpf-lsm.config.json', () => {
  it('the schema names the fields the parser reads', () => {
    assert.deepEqual(
      Object.keys(schema.properties!).sort(),
      ['$schema', 'btfPath', 'disabledChecks', 'hookDefsPath', 'includePaths', 'kernel', 'severity', 'test'].sort(),
    );
  });

  for (const file of examples('valid')) {
    it(`the schema and the parser accept ${path.basename(file)}`, () => {
      const text = fs.readFileSync(file, 'utf8');
      assert.deepEqual(validate(schema, JSON.parse(text)), []);
      assert.doesNotThrow(() => parseProjectConfig(file, text));
    });
  }

  for (const file of examples('invalid')) {
    it(`the schema and the parser refuse ${path.basename(file)}, the parser in one line naming the file`, () => {
      const text = fs.readFileSync(file, 'utf8');
      assert.notDeepEqual(validate(schema, JSON.parse(text)), []);
      assert.throws(
        () => parseProjectConfig(file, text),
        (e: Error) => e instanceof ConfigError && e.message.startsWith(`${file}: `) && !e.message.includes('\n'),
      );
    });
  }

  it('each field checked, trimmed and made absolute, with what is wrong said exactly', () => {
    const cases: [string, unknown][] = [
      ['\uFEFF{"kernel": " 6.1 "}', { kernel: '6.1' }],
      ['{ "kernel": ', 'not valid JSON (Unexpected end of JSON input)'],
      ['[]', 'must be a JSON object'],
      ['null', 'must be a JSON object'],
      ['"x"', 'must be a JSON object'],
      ['{}', {}],
      [
        '{"kernal": 1, "sevrity": {}}',
        'unknown field(s) kernal, sevrity; known: kernel, disabledChecks, severity, hookDefsPath, btfPath, includePaths, test',
      ],
      ['{"kernel": "  "}', '"kernel" must be a non-empty string'],
      ['{"kernel": 6}', '"kernel" must be a non-empty string'],
      [
        '{"hookDefsPath": "h/lsm_hook_defs.h", "btfPath": " /b/vmlinux ", "includePaths": [" inc ", "/usr/include"]}',
        { hookDefsPath: '/p/q/h/lsm_hook_defs.h', btfPath: '/b/vmlinux', includePaths: ['/p/q/inc', '/usr/include'] },
      ],
      ['{"includePaths": ["a", " "]}', '"includePaths" must be an array of non-empty strings'],
      ['{"includePaths": "a"}', '"includePaths" must be an array of non-empty strings'],
      [
        '{"disabledChecks": ["license", "no-such", "nor-this"]}',
        `"disabledChecks": unknown check code(s) no-such, nor-this; known: ${KNOWN_CHECK_CODES}`,
      ],
      ['{"disabledChecks": ["license"]}', { disabledChecks: ['license'] }],
      ['{"severity": []}', '"severity" must be an object of check code to severity'],
      ['{"severity": null}', '"severity" must be an object of check code to severity'],
      ['{"severity": {"license": "fatal"}}', '"severity": "license" must be error, warning, information or hint'],
      ['{"severity": {"licence": "error"}}', `"severity": unknown check code(s) licence; known: ${KNOWN_CHECK_CODES}`],
      ['{"severity": {"license": "hint"}}', { severity: { license: 'hint' } }],
      ['{"test": []}', '"test" must be an object'],
      ['{"test": {"kernel": ["6.1"]}}', '"test": unknown field(s) kernel; known: kernels'],
      ['{"test": {}}', { test: {} }],
      ['{"test": {"kernels": [" 6.1 "]}}', { test: { kernels: ['6.1'] } }],
      ['{"test": {"kernels": [1]}}', '"test.kernels" must be an array of non-empty strings'],
    ];
    for (const [text, expected] of cases) {
      let got: unknown;
      try {
        const { file, ...fields } = parseProjectConfig('/p/q/f.json', text);
        assert.equal(file, '/p/q/f.json');
        got = fields;
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        assert.ok(err.message.startsWith('/p/q/f.json: '), err.message);
        got = err.message.slice('/p/q/f.json: '.length);
      }
      assert.deepEqual(got, expected, JSON.stringify(text));
    }
  });

  it('makes paths absolute from the config file', () => {
    const file = path.join(FIXTURES, 'config', 'valid', 'full.json');
    const config = readProjectConfig(file);
    const dir = path.dirname(file);
    assert.equal(config.hookDefsPath, path.join(dir, 'kernel', 'include', 'linux', 'lsm_hook_defs.h'));
    assert.equal(config.btfPath, path.join(dir, 'btf', 'vmlinux'));
    assert.deepEqual(config.includePaths, [path.join(dir, 'include'), '/usr/include/bpf']);
    assert.deepEqual(config.test, { kernels: ['6.1', '6.12'] });
  });

  it('says what is wrong with bad JSON, a FIFO or a missing file in one line', () => {
    assert.throws(() => parseProjectConfig('x.json', '{ "kernel": '), /^ConfigError: x\.json: not valid JSON \(/);
    assert.throws(() => readProjectConfig('/no/such/bpf-lsm.config.json'), {
      name: 'ConfigError',
      message: '/no/such/bpf-lsm.config.json: no such file',
    });
    assert.throws(() => readProjectConfig('/dev/zero'), {
      name: 'ConfigError',
      message: '/dev/zero: is a character device, not a bpf-lsm.config.json',
    });
  });

  it('is found in the directory of a file or above it, not below', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-find-'));
    try {
      fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'a', 'bpf-lsm.config.json'), '{}');
      assert.equal(findProjectConfig(path.join(dir, 'a', 'b', 'c')), path.join(dir, 'a', 'bpf-lsm.config.json'));
      assert.equal(findProjectConfig(path.join(dir, 'a')), path.join(dir, 'a', 'bpf-lsm.config.json'));
      assert.equal(findProjectConfig(dir), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in the editor, ranks explicit settings over the file, field by field', () => {
    const config = parseProjectConfig(
      '/p/bpf-lsm.config.json',
      JSON.stringify({ kernel: '6.1', btfPath: 'vmlinux', disabledChecks: ['license'], severity: { 'unknown-hook': 'hint' } }),
    );
    assert.deepEqual(withProjectConfig(DEFAULT_SETTINGS, config), {
      ...DEFAULT_SETTINGS,
      kernel: '6.1',
      btfPath: '/p/vmlinux',
      disabledChecks: ['license'],
      severity: { 'unknown-hook': 'hint' },
    });
    assert.deepEqual(withProjectConfig({ ...DEFAULT_SETTINGS, kernel: '6.12', disabledChecks: ['wrong-macro'] }, config), {
      ...DEFAULT_SETTINGS,
      kernel: '6.12',
      btfPath: '/p/vmlinux',
      disabledChecks: ['wrong-macro'],
      severity: { 'unknown-hook': 'hint' },
    });
  });
});
