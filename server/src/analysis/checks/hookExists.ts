// unknown-hook: not a hook of any release. hook-not-in-kernel: a hook of other releases only.
import type { Finding } from '../findings';
import type { ProgramContext } from './context';
import { suggestHooks } from './hookSuggestions';
import type { HookCatalog, KernelTarget } from '../../hooks/catalog';
import { describeReleases } from '../../hooks/releaseList';
import { describeTableSource } from '../../hooks/tableSource';

/** Hook names to suggest from, built once per target (a file may have thousands of unknown hooks). */
const candidates = new WeakMap<KernelTarget, { names: Set<string>; preferred: Set<string> }>();

function candidatesFor(target: KernelTarget, catalog: HookCatalog) {
  let entry = candidates.get(target);
  if (!entry) {
    entry = { names: new Set([...target.hooks.keys(), ...catalog.allHookNames()]), preferred: new Set(target.hooks.keys()) };
    candidates.set(target, entry);
  }
  return entry;
}

export function checkHookExists(ctx: ProgramContext): Finding[] {
  const { program, target, catalog, model } = ctx;
  if (ctx.hook || program.hook === '') return [];
  const range = model.index.range(program.hookStart, program.hookEnd);
  const releases = catalog.releasesWith(program.hook);
  if (releases.length > 0) {
    const all = catalog.releases.map((r) => r.release);
    const first = releases[0];
    const last = releases[releases.length - 1];
    const lastOfAll = all[all.length - 1];
    // Bundled tables are a sample of releases: name them, never claim when a hook first appeared upstream.
    const history =
      last === lastOfAll
        ? `the bundled tables have it from ${first} on (${describeReleases(releases, all)})`
        : `of the bundled tables only ${describeReleases(releases, all)} have it`;
    return [
      {
        code: 'hook-not-in-kernel',
        severity: 'error',
        range,
        message:
          `LSM hook '${program.hook}' does not exist in kernel ${target.release}: ${history}. ` +
          `Target a kernel that has it, or use another hook.`,
      },
    ];
  }
  const { names, preferred } = candidatesFor(target, catalog);
  const suggestions = suggestHooks(program.hook, names, preferred);
  const hint = suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : '';
  return [
    {
      code: 'unknown-hook',
      severity: 'error',
      range,
      message: `'${program.hook}' is not an LSM hook in any kernel release (${describeTableSource(target.source)}).${hint}`,
      fixes: program.hookEditable
        ? suggestions.map((s, i) => ({ title: `Change hook to '${s}'`, edits: [{ range, newText: s }], preferred: i === 0 }))
        : undefined,
    },
  ];
}
