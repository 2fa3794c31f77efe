// The settings the server works with: the user's VS Code settings, checked (unknown check codes are
// reported, not kept), over the workspace's bpf-lsm.config.json. Precedence: an explicit (non-default)
// VS Code setting > the config file > the default, field by field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS, type BpfLsmSettings } from '../../../common/settings';
import { isCheckCode, unknownCodesMessage } from '../analysis/checks/registry';
import { CONFIG_FILE_NAME, ConfigError, readProjectConfig, type ProjectConfig } from '../config/projectConfig';
import type { TargetProblem } from './targetProvider';

/** Drops check codes the registry does not know from the settings, and says which (naming the known ones). */
export function checkSettingCodes(settings: BpfLsmSettings): { settings: BpfLsmSettings; problems: TargetProblem[] } {
  const problems: TargetProblem[] = [];
  const unknownDisabled = settings.disabledChecks.filter((c) => !isCheckCode(c));
  if (unknownDisabled.length > 0) {
    problems.push({ severity: 'error', message: `bpfLsm.disabledChecks: ${unknownCodesMessage(unknownDisabled)}. They are ignored.` });
  }
  const unknownSeverity = Object.keys(settings.severity).filter((c) => !isCheckCode(c));
  if (unknownSeverity.length > 0) {
    problems.push({ severity: 'error', message: `bpfLsm.severity: ${unknownCodesMessage(unknownSeverity)}. They are ignored.` });
  }
  if (problems.length === 0) return { settings, problems };
  return {
    settings: {
      ...settings,
      disabledChecks: settings.disabledChecks.filter(isCheckCode),
      severity: Object.fromEntries(Object.entries(settings.severity).filter(([c]) => isCheckCode(c))),
    },
    problems,
  };
}

/** Settings over the config file: each field the user set (not the default) wins, else the file's, else the default. */
export function withProjectConfig(settings: BpfLsmSettings, config: ProjectConfig | undefined): BpfLsmSettings {
  if (!config) return settings;
  const pick = <K extends 'kernel' | 'hookDefsPath' | 'btfPath'>(key: K) =>
    settings[key] !== DEFAULT_SETTINGS[key] ? settings[key] : (config[key] ?? settings[key]);
  return {
    ...settings,
    kernel: pick('kernel'),
    hookDefsPath: pick('hookDefsPath'),
    btfPath: pick('btfPath'),
    // The file's are absolute already; the user's stay relative to the workspace folder (BpfLspServer).
    includePaths: settings.includePaths.length > 0 ? settings.includePaths : (config.includePaths ?? []),
    disabledChecks: settings.disabledChecks.length > 0 ? settings.disabledChecks : (config.disabledChecks ?? []),
    severity: Object.keys(settings.severity).length > 0 ? settings.severity : { ...config.severity },
  };
}

/** The workspace folder's root directory, from the initialize request (first folder, else rootUri). */
export function workspaceRoot(params: {
  workspaceFolders?: { uri: string }[] | null;
  rootUri?: string | null;
  rootPath?: string | null;
}): string | undefined {
  const uri = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  try {
    if (uri?.startsWith('file:')) return fileURLToPath(uri);
  } catch {
    // not a local folder
  }
  return params.rootPath ?? undefined;
}

/** The workspace's bpf-lsm.config.json: absent (undefined), read, or a problem to show once (and the file is ignored). */
export function readWorkspaceConfig(root: string | undefined): { config?: ProjectConfig; problem?: TargetProblem } {
  if (!root) return {};
  const file = path.join(root, CONFIG_FILE_NAME);
  if (!fs.existsSync(file)) return {};
  try {
    return { config: readProjectConfig(file) };
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `${file}: ${(err as Error)?.message ?? err}`;
    return { problem: { severity: 'error', message: `${message.replace(/\s+/g, ' ')}. The file is ignored until it is fixed.` } };
  }
}

/** Whether a watched-file event is about the config file at the workspace root. */
export function isWorkspaceConfig(uri: string, root: string | undefined): boolean {
  if (!root) return false;
  try {
    return path.resolve(fileURLToPath(uri)) === path.join(path.resolve(root), CONFIG_FILE_NAME);
  } catch {
    return false;
  }
}
