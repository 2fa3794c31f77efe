// The registry of checks is the one list: the finding codes, the settings' enums in package.json, the
// config file's schema and the tables of checks in the READMEs are all tested against it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SEVERITIES } from '../../common/severity';
import { Analyzer } from '../../server/src/analysis/analyze';
import {
  CHECK_CODES,
  CODES,
  EDITOR_CODES,
  FILE_CHECKS,
  PROGRAM_CHECKS,
  SUPPRESSIONS,
  checksTable,
  isCheckCode,
} from '../../server/src/analysis/checks/registry';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { compareVersions, parseVersion } from '../../server/src/hooks/versions';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

/** The Markdown table under `## What it checks` in a README. */
function tableOf(file: string): string {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
  const section = text.slice(text.indexOf('## What it checks'));
  const start = section.indexOf('| code |');
  assert.ok(start >= 0, `${file} has no table of checks`);
  const lines = section.slice(start).split('\n');
  return lines
    .slice(
      0,
      lines.findIndex((l) => !l.startsWith('|')),
    )
    .join('\n');
}

describe('registry of checks', () => {
  it('gives every finding code a default severity and a one-line summary, and every code one check', () => {
    assert.ok(CHECK_CODES.length >= 11);
    for (const [code, info] of CODES) {
      assert.ok((SEVERITIES as readonly string[]).includes(info.severity), code);
      if (info.before) assert.ok((SEVERITIES as readonly string[]).includes(info.before.severity), code);
      assert.ok(info.summary.length > 0 && !info.summary.includes('\n'), code);
    }
    const owned = [...[...PROGRAM_CHECKS, ...FILE_CHECKS, SUPPRESSIONS].flatMap((c) => c.codes), ...EDITOR_CODES];
    // Reported by the extension from the kernel's verifier, not by the analysis.
    assert.deepEqual(EDITOR_CODES, ['verifier-rejected']);
    assert.deepEqual([...owned].sort(), [...CHECK_CODES].sort());
    assert.equal(new Set(owned).size, owned.length);
    assert.ok(isCheckCode('license') && !isCheckCode('constructor') && !isCheckCode('License'));
  });

  for (const file of ['README.md', 'docs/extension-readme.md']) {
    it(`is what ${file}'s table of checks says`, () => {
      assert.equal(tableOf(file), checksTable(), `paste this table into ${file}:\n${checksTable()}`);
    });
  }

  it('is what package.json offers for bpfLsm.disabledChecks and bpfLsm.severity', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const properties = manifest.contributes.configuration.properties;
    assert.deepEqual(properties['bpfLsm.disabledChecks'].items.enum, [...CHECK_CODES]);
    assert.deepEqual(properties['bpfLsm.severity'].propertyNames.enum, [...CHECK_CODES]);
    assert.deepEqual(properties['bpfLsm.severity'].additionalProperties.enum, [...SEVERITIES]);
  });

  it('is what the config file schema offers for disabledChecks and severity', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas', 'bpf-lsm.config.schema.json'), 'utf8'));
    assert.deepEqual(schema.properties.disabledChecks.items.enum, [...CHECK_CODES]);
    assert.deepEqual(schema.properties.severity.propertyNames.enum, [...CHECK_CODES]);
    assert.deepEqual(schema.properties.severity.additionalProperties.enum, [...SEVERITIES]);
  });

  it('gives the severity the checks report with (on the lint fixtures, old and new kernels)', async () => {
    const analyzer = await Analyzer.create();
    const catalog = HookCatalog.bundled();
    const seen = new Set<string>();
    try {
      for (const kernel of ['5.15', '6.1', undefined]) {
        const { target } = catalog.target({ kernel });
        for (const name of fs.readdirSync(path.join(FIXTURES, 'lint')).filter((f) => f.endsWith('.c'))) {
          for (const f of analyzer.analyze(fs.readFileSync(path.join(FIXTURES, 'lint', name), 'utf8'), target, catalog).findings) {
            const info = CODES.get(f.code)!;
            const older = info.before && compareVersions(target.version, parseVersion(info.before.release)!) < 0;
            // Before that release the milder severity is the rule, with exceptions the check knows (lsm_cgroup).
            const allowed = older ? [info.before!.severity, info.severity] : [info.severity];
            assert.ok(allowed.includes(f.severity), `${f.code} in ${name} on ${target.release}: ${f.severity}`);
            seen.add(f.code);
          }
        }
      }
    } finally {
      analyzer.dispose();
    }
    assert.ok(seen.size >= 8, `only ${[...seen].join(', ')} seen`);
  });
});
