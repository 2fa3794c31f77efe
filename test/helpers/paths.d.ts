import { REPO_ROOT } from '../../common/repoRoot';
export { REPO_ROOT };
export declare const FIXTURES: string;
export declare const KERNEL_HOOKS_DIR: string;
export declare const CLI: string;
export declare function fixture(...parts: string[]): string;
/** Real kernel headers from ../shared/kernel-hooks, or null (with the reason printed) when absent. */
export declare function kernelHooksAvailable(): boolean;
