import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, normaliseSettings, SETTINGS_SECTION } from '../../common/settings';
import { DEFAULT_TARGET_SETTINGS, TARGET_SECTION } from '../../common/targetSettings';
import { CHECK_CODES } from '../../server/src/analysis/checks/registry';
import { REPO_ROOT } from '../helpers/paths';

describe('settings', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const properties = manifest.contributes.configuration.properties as Record<
    string,
    { default: unknown; items?: { enum: string[] }; propertyNames?: { enum: string[] } }
  >;

  it('package.json declares every setting under one prefix with the shared default', () => {
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      assert.deepEqual(properties[`${SETTINGS_SECTION}.${key}`]?.default, value, key);
    }
    const ours = Object.keys(properties).filter((k) => k !== `${SETTINGS_SECTION}.trace.server` && !k.startsWith(`${TARGET_SECTION}.`));
    assert.deepEqual(
      ours.sort(),
      Object.keys(DEFAULT_SETTINGS)
        .map((k) => `${SETTINGS_SECTION}.${k}`)
        .sort(),
    );
  });

  it('package.json declares every run-on-target setting with the shared default', () => {
    for (const [key, value] of Object.entries(DEFAULT_TARGET_SETTINGS)) {
      assert.deepEqual(properties[`${TARGET_SECTION}.${key}`]?.default, value, key);
    }
    assert.deepEqual(
      Object.keys(properties)
        .filter((k) => k.startsWith(`${TARGET_SECTION}.`))
        .sort(),
      Object.keys(DEFAULT_TARGET_SETTINGS)
        .map((k) => `${TARGET_SECTION}.${k}`)
        .sort(),
    );
  });

  it('package.json lists every check code for disabledChecks and severity', () => {
    assert.deepEqual(properties[`${SETTINGS_SECTION}.disabledChecks`].items!.enum, [...CHECK_CODES]);
    assert.deepEqual(properties[`${SETTINGS_SECTION}.severity`].propertyNames!.enum, [...CHECK_CODES]);
  });

  it('normalises partial or wrongly typed settings to complete ones', () => {
    assert.deepEqual(normaliseSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(
      normaliseSettings({ kernel: ' 6.12 ', debounceMs: -5, severity: { license: 'warning', x: 'loud' }, disabledChecks: ['license', 3] }),
      {
        ...DEFAULT_SETTINGS,
        kernel: '6.12',
        debounceMs: 0,
        severity: { license: 'warning' },
        disabledChecks: ['license'],
      },
    );
  });
});
