// The policy tests' settings as the editor reads them: bpfLsm.test.* (common/settings.ts is the schema),
// the default kernels of a test file (the setting, else the project's bpf-lsm.config.json, else every
// built VM), and the real target when the tests are to run there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DEFAULT_SETTINGS,
  KERNEL_SERIES_PATTERN,
  normaliseSettings,
  policyTestSettings,
  SETTINGS_SECTION,
  type PolicyTestSettings,
} from '../../../common/settings';
import { defaultTestKernels } from '../../../policy/src/testKernels';

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

const CONFIG_FILE_NAME = 'bpf-lsm.config.json';
const CONFIG_LIMIT = 256 * 1024;

/**
 * `test.kernels` of the nearest bpf-lsm.config.json above `dir` (undefined when there is none or it says
 * none). The language server validates the file and reports its problems; here a file that is not JSON,
 * or a list that is not kernel series, only means "no kernels from the project" (and a line in the log).
 */
export function projectTestKernels(dir: string, warn: (message: string) => void): string[] | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const file = path.join(d, CONFIG_FILE_NAME);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat?.isFile()) {
      try {
        if (stat.size > CONFIG_LIMIT) throw new Error(`larger than ${CONFIG_LIMIT / 1024} KiB`);
        const kernels = (JSON.parse(fs.readFileSync(file, 'utf8')) as { test?: { kernels?: unknown } } | null)?.test?.kernels;
        if (kernels === undefined) return undefined;
        if (!Array.isArray(kernels) || !kernels.every((k) => typeof k === 'string' && KERNEL_SERIES_PATTERN.test(k)))
          throw new Error('"test.kernels" is not a list of kernel series such as "6.12"');
        return kernels as string[];
      } catch (err) {
        warn(`${file}: ${(err as Error).message}; its test.kernels are not used`);
        return undefined;
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** The kernels a test file naming none runs on: bpfLsm.test.kernels, else the project's, else every built VM. */
export function defaultKernelsFor(file: string, warn: (message: string) => void): string[] {
  const configured = readTestSettings(vscode.Uri.file(file)).kernels;
  return defaultTestKernels(configured.length > 0 ? configured : projectTestKernels(path.dirname(file), warn));
}
