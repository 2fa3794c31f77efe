// Before a program is attached to a machine that is not one of the tool's own test VMs: does the
// analysis say it denies every call of a hook the machine cannot do without (exec, file access, mmap, new
// tasks: the always-denies lock-outs)? Such a program locks everyone out, ssh included, and a real target
// cannot be reset from here. Asked whatever checks the user disabled or suppressed.
import * as path from 'node:path';
import { Analyzer } from '../../server/src/analysis/analyze';
import { readIncludes } from '../../server/src/analysis/includeReader';
import { readSourceFile } from '../../server/src/analysis/sourceFile';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { relativeInside } from '../../server/src/ctext/relativeInside';
import { cacheDir } from '../../vm/src/paths';

export interface LockoutRisk {
  /** The BPF C file. */
  file: string;
  /** 1-based line of the finding. */
  line: number;
  /** The analysis's message (names the program and the hook, and what denying there does). */
  message: string;
}

let analyzer: Promise<Analyzer> | undefined;

/**
 * The lock-outs of a program file. A file that cannot be read or analysed gives none:
 * compiling it will say what is wrong, and this guard only stops what it can see.
 */
export async function lockoutRisks(file: string): Promise<LockoutRisk[]> {
  let text: string;
  try {
    text = readSourceFile(file);
  } catch {
    return [];
  }
  analyzer ??= Analyzer.create();
  const catalog = HookCatalog.bundled();
  // Whether every path denies does not depend on the release: the newest table is as good as any.
  const { target } = catalog.target({});
  try {
    // A program macro or a #define may come from a local header: read them as the linter does.
    const { headers, unread } = readIncludes(file, text, { dirs: [] });
    const { lockouts, model } = (await analyzer).analyze(text, target, catalog, { includes: { headers, unread } });
    return lockouts.map((l) => {
      const program = model.programs.find((p) => p.name === l.program);
      const line = program ? model.index.position(program.start).line + 1 : 1;
      return { file, line, message: `${l.program} (lsm/${l.hook}) denies every ${l.denies}, on every path` };
    });
  } catch {
    return [];
  }
}

/** Is this ssh_config one the tool wrote for its own test VM (which a snapshot or a reboot restores)? */
export function isToolVmSshConfig(configFile: string | undefined): boolean {
  if (!configFile) return false;
  return relativeInside(cacheDir(), path.resolve(configFile)) !== undefined;
}

/** One paragraph for a prompt or an error: what would be attached, and why it is held back. */
export function describeLockout(risks: LockoutRisk[], where: string): string {
  const lines = risks.map((r) => `${path.basename(r.file)}:${r.line}: ${r.message}`);
  return `Not attached to ${where}: the analysis finds a program that denies on every path.\n${lines.join('\n')}`;
}
