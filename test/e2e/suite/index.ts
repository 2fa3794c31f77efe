// The end-to-end suite's entry point, loaded by the extension host (code-server or desktop VS Code).
import { runMochaSuite } from '../mochaRunner';

export function run(): Promise<void> {
  return runMochaSuite(__dirname);
}
