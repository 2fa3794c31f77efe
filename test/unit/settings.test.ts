import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, normaliseSettings, SETTINGS_SECTION } from '../../common/settings';
import { DEFAULT_TARGET_SETTINGS, normaliseTargetSettings, TARGET_SECTION } from '../../common/targetSettings';
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

  it('keeps non-empty include paths trimmed, bounds the numbers, and reads the test settings nested or flat', () => {
    assert.deepEqual(
      normaliseSettings({
        hookDefsPath: ' /h ',
        btfPath: 3,
        includePaths: [' inc ', '', '  ', 4, '/usr/include'],
        verifyOnSave: 'yes',
        debounceMs: 9000,
        test: { kernels: ['6.1', '6.12', '6.1', '6.1.2', 'x', 7], maxVms: 3.6, vmIdleMinutes: -1, onTarget: true },
      }),
      {
        ...DEFAULT_SETTINGS,
        hookDefsPath: '/h',
        includePaths: ['inc', '/usr/include'],
        debounceMs: 5000,
        'test.kernels': ['6.1', '6.12'],
        'test.maxVms': 4,
        'test.vmIdleMinutes': 0,
        'test.onTarget': true,
      },
    );
    // A flat key wins over the nested one; a wrong type falls back to the default.
    assert.deepEqual(
      normaliseSettings({
        'test.kernels': ['7.3'],
        'test.maxVms': 100,
        'test.vmIdleMinutes': 2000,
        'test.onTarget': 'true',
        test: { kernels: ['6.1'], onTarget: true },
        includePaths: 'inc',
        debounceMs: Number.NaN,
        verifyOnSave: true,
      }),
      { ...DEFAULT_SETTINGS, verifyOnSave: true, 'test.kernels': ['7.3'], 'test.maxVms': 64, 'test.vmIdleMinutes': 1440 },
    );
    assert.deepEqual(normaliseSettings({ test: '6.1', severity: null, kernel: 5 }), DEFAULT_SETTINGS);
  });
});

describe('run-on-target settings', () => {
  it('are normalised: strings trimmed (the probe command kept as typed), flags only when true, the trace bound between 100 and 100,000', () => {
    assert.deepEqual(normaliseTargetSettings({}), DEFAULT_TARGET_SETTINGS);
    assert.deepEqual(
      normaliseTargetSettings({
        destination: ' vm@127.0.0.1:2222 ',
        identityFile: ' ~/.ssh/id ',
        sshConfigFile: 7,
        sudo: 'true',
        pin: true,
        probeCommand: ' cat /tmp/x ',
        traceMaxLines: 250_000,
      }),
      {
        destination: 'vm@127.0.0.1:2222',
        identityFile: '~/.ssh/id',
        sshConfigFile: '',
        sudo: false,
        pin: true,
        probeCommand: ' cat /tmp/x ',
        traceMaxLines: 100_000,
      },
    );
    assert.equal(normaliseTargetSettings({ traceMaxLines: 100 }).traceMaxLines, 100);
    assert.equal(normaliseTargetSettings({ traceMaxLines: 99 }).traceMaxLines, 5000);
    assert.equal(normaliseTargetSettings({ traceMaxLines: '500' }).traceMaxLines, 5000);
    assert.equal(normaliseTargetSettings({ sudo: true, probeCommand: 3 }).sudo, true);
    assert.equal(normaliseTargetSettings({ probeCommand: 3 }).probeCommand, '');
  });
});
