// Entry point of the installed-extension suite (test/e2e/packaged.ts), loaded by the extension host.
import { runMochaSuite } from '../mochaRunner';

export function run(): Promise<void> {
  return runMochaSuite(__dirname);
}
