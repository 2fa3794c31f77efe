// The policy tests' settings as the editor reads them: bpfLsm.test.* (common/settings.ts is the schema),
// the default kernels of a test file (the setting, else the project's bpf-lsm.config.json, else every
// built VM), and the real target when the tests are to run there.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DEFAULT_SETTINGS,
  normaliseSettings,
  policyTestSettings,
  SETTINGS_SECTION,
  type PolicyTestSettings,
} from '../../../common/settings';
import { configuredKernels, defaultTestKernels } from '../../../policy/src/testKernels';

export const TEST_SECTION = `${SETTINGS_SECTION}.test`;

export function readTestSettings(scope?: vscode.Uri): PolicyTestSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  const raw = Object.fromEntries(
    Object.keys(DEFAULT_SETTINGS)
      .filter((k) => k.startsWith('test.'))
      .map((k) => [k, config.get(k)]),
  );
  return policyTestSettings(normaliseSettings(raw));
}

/**
 * `test.kernels` of the nearest bpf-lsm.config.json above `dir` (undefined when there is none or it says
 * none), read as the CLIs read it. The language server reports a bad file's problems; here it only means
 * "no kernels from the project", and a line in the log.
 */
export function projectTestKernels(dir: string, warn: (message: string) => void): string[] | undefined {
  try {
    return configuredKernels(dir);
  } catch (err) {
    warn(`${(err as Error).message}; its test.kernels are not used`);
    return undefined;
  }
}

/** The kernels a test file naming none runs on: bpfLsm.test.kernels, else the project's, else every built VM. */
export function defaultKernelsFor(file: string, warn: (message: string) => void): string[] {
  const configured = readTestSettings(vscode.Uri.file(file)).kernels;
  return defaultTestKernels(configured.length > 0 ? configured : projectTestKernels(path.dirname(file), warn));
}
