// Where tests find the repository, its fixtures and the shared kernel data (beside the clone).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../common/repoRoot';

export { REPO_ROOT };

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const KERNEL_HOOKS_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'kernel-hooks');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

export function fixture(...parts: string[]): string {
  return fs.readFileSync(path.join(FIXTURES, ...parts), 'utf8');
}

/** Real kernel headers from ../shared/kernel-hooks, or null (with the reason printed) when absent. */
export function kernelHooksAvailable(): boolean {
  return fs.existsSync(KERNEL_HOOKS_DIR);
}

/**
 * A test's `skip` option for a real dependency: the reason when it is missing on a developer's machine,
 * but never under CI (CI=true), which must have every dependency: there the test runs and fails.
 */
export function skipIfMissing(present: boolean, what: string): string | false {
  if (present || process.env.CI) return false;
  return `${what} is missing on this machine`;
}
