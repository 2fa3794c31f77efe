// schemas/lsmtest.schema.json, the schema YAML editors validate *.lsmtest.yaml files with: a valid
// draft-07 schema, its enums the same as the parser's tables, its examples valid, and the same verdict
// as the parser on every fixture in test/fixtures/policy (valid: both accept; invalid: both reject;
// semantic: the schema accepts what only the parser can refuse).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { ERRNO_NAMES, SIGNAL_NAMES } from '../../policy/src/errno';
import { ACTION_KINDS, parsePolicyTestFile, POLICY_SCHEMA_PATH, policySchemaAjv } from '../../policy/src/testFile';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  definitions?: Record<string, Schema>;
  enum?: unknown[];
  examples?: unknown[];
  description?: string;
};

const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas', 'lsmtest.schema.json'), 'utf8')) as Schema;
const defs = schema.definitions!;
const validate = policySchemaAjv().compile(schema);

const fixtures = (kind: string) =>
  fs
    .readdirSync(path.join(FIXTURES, 'policy', kind))
    .filter((f) => f.endsWith('.lsmtest.yaml'))
    .map((f) => path.join(FIXTURES, 'policy', kind, f));

/** The schema's verdict on a file, as an editor would give it: YAML errors, or the ajv errors. */
function schemaErrors(file: string): string[] {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  if (doc.errors.length + doc.warnings.length > 0) return [...doc.errors, ...doc.warnings].map((e) => e.message);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return [(err as Error).message];
  }
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('the policy test schema', () => {
  it('is the schema the parser loads and package.json gives YAML editors', () => {
    assert.equal(POLICY_SCHEMA_PATH, path.join(REPO_ROOT, 'schemas', 'lsmtest.schema.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.contributes.yamlValidation, [{ fileMatch: '*.lsmtest.yaml', url: './schemas/lsmtest.schema.json' }]);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, manifest.contributes.yamlValidation[0].url)));
  });

  it('is a valid draft-07 schema (strict mode: no unknown keywords but the editor annotations)', () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const ajv = policySchemaAjv();
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
  });

  it('its errno and signal names are the parser tables', () => {
    assert.deepEqual(defs.errno.enum, ERRNO_NAMES);
    assert.deepEqual(defs.signal.enum, SIGNAL_NAMES);
    assert.ok(ERRNO_NAMES.includes('EPERM') && ERRNO_NAMES.includes('EHWPOISON') && ERRNO_NAMES.length === 134);
  });

  it('a case has the actions the parser knows, expect and expect_on', () => {
    const caseFields = Object.keys(defs.case.properties!);
    assert.deepEqual(caseFields, ['name', ...ACTION_KINDS, 'expect', 'expect_on']);
    assert.deepEqual(Object.keys(schema.properties!), ['program', 'kernels', 'setup', 'teardown', 'cases']);
  });

  it('describes every field, for completion and hover', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(schema.properties!)) if (!s.description) missing.push(name);
    for (const [name, d] of Object.entries(defs)) if (!d.description) missing.push(`definitions.${name}`);
    for (const [name, s] of Object.entries(defs.expectationObject.properties!))
      if (!s.description && !s.$ref) missing.push(`expectation.${name}`);
    assert.deepEqual(missing, []);
  });

  it('every example in it is valid where it stands', () => {
    const ajv = policySchemaAjv();
    ajv.addSchema(schema, 'lsmtest');
    let checked = 0;
    for (const [name, d] of Object.entries(defs)) {
      const check = ajv.getSchema(`lsmtest#/definitions/${name}`)!;
      for (const example of d.examples ?? []) {
        assert.equal(check(example), true, `definitions.${name}: example ${JSON.stringify(example)}: ${JSON.stringify(check.errors)}`);
        checked++;
      }
    }
    for (const [name, s] of Object.entries(schema.properties!)) {
      const check = ajv.getSchema(`lsmtest#/properties/${name}`)!;
      for (const example of s.examples ?? []) {
        assert.equal(check(example), true, `${name}: example ${JSON.stringify(example)}`);
        checked++;
      }
    }
    assert.ok(checked > 30, `${checked} examples`);
  });

  it('the regex format is JavaScript syntax', () => {
    const ok = (stderr: string) => validate({ program: 'p', cases: [{ name: 'a', run: 'x', expect: { stderr } }] });
    assert.equal(ok('Operation not permitted'), true);
    assert.equal(ok('(?<name>x)\\k<name>'), true);
    assert.equal(ok('(unclosed'), false);
    assert.equal(ok('a{2,1}'), false);
  });
});

describe('the schema and the parser agree on the fixtures', () => {
  const valid = fixtures('valid');
  const invalid = fixtures('invalid');
  const semantic = fixtures('semantic');

  it('there are fixtures of each kind', () => {
    assert.ok(valid.length >= 5 && invalid.length >= 15 && semantic.length >= 8, `${valid.length}/${invalid.length}/${semantic.length}`);
  });

  for (const file of valid) {
    it(`valid/${path.basename(file)}: both accept it`, () => {
      assert.deepEqual(schemaErrors(file), []);
      assert.deepEqual(parsePolicyTestFile(fs.readFileSync(file, 'utf8'), file).problems, []);
    });
  }

  for (const file of invalid) {
    it(`invalid/${path.basename(file)}: both reject it`, () => {
      assert.notDeepEqual(schemaErrors(file), [], 'the schema accepts it');
      const r = parsePolicyTestFile(fs.readFileSync(file, 'utf8'), file);
      assert.equal(r.file, undefined);
      assert.ok(r.problems.length > 0);
    });
  }

  for (const file of semantic) {
    it(`semantic/${path.basename(file)}: the schema accepts it, the parser does not`, () => {
      assert.deepEqual(schemaErrors(file), []);
      const r = parsePolicyTestFile(fs.readFileSync(file, 'utf8'), file);
      assert.equal(r.file, undefined);
      assert.ok(r.problems.length > 0);
    });
  }
});
