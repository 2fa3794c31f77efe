// "Did you mean": hooks near a name that is not a hook, by spelling and by the words they share.
import { distance } from 'fastest-levenshtein';

/** Words people use for what the kernel names otherwise (exec is `bprm`, mount is `sb_...`). */
const SYNONYMS: ReadonlyMap<string, string[]> = new Map(
  Object.entries({
    exec: ['bprm'],
    execve: ['bprm', 'exec'],
    execute: ['bprm', 'exec'],
    program: ['bprm'],
    mount: ['sb'],
    umount: ['sb'],
    delete: ['unlink', 'rmdir'],
    remove: ['unlink', 'rmdir'],
    connect: ['socket'],
    bind: ['socket'],
    chmod: ['setattr'],
    chown: ['setattr'],
    sock: ['socket'],
    process: ['task'],
    fork: ['task_alloc'],
  }),
);

/**
 * Hook names are under 40 characters: a longer string is no misspelling of one, and comparing it with
 * every hook would cost its length each time.
 */
const MAX_NAME_LENGTH = 100;

/** Words too common in hook names to say anything about what was meant. */
const WEAK_WORDS = new Set(['security', 'alloc', 'free', 'get', 'set', 'post', 'pre', 'lsm', 'hook', 'check']);

function words(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[_\W]+/)
    .filter((w) => w.length >= 3);
}

/** Nearest hooks to `name`; hooks of the target kernel (`preferred`) rank before other releases' hooks. */
export function suggestHooks(name: string, candidates: Iterable<string>, preferred: Set<string>, limit = 3): string[] {
  if (name.length > MAX_NAME_LENGTH) return [];
  const wanted = new Set<string>();
  for (const w of words(name)) {
    if (!WEAK_WORDS.has(w)) wanted.add(w);
    // A Map: `SYNONYMS[w]` would give Object.prototype's members for `constructor`, `toString`...
    for (const s of SYNONYMS.get(w) ?? []) for (const part of s.split('_')) wanted.add(part);
  }
  const maxTypo = Math.max(2, Math.floor(name.length / 4));
  const scored: { hook: string; typo: boolean; shared: number; d: number; here: boolean }[] = [];
  for (const hook of candidates) {
    const d = distance(name, hook);
    const hookWords = hook.split('_');
    const shared = hookWords.filter((w) => wanted.has(w)).length;
    const typo = d <= maxTypo;
    if (typo || shared > 0) scored.push({ hook, typo, shared, d, here: preferred.has(hook) });
  }
  scored.sort(
    (a, b) =>
      Number(b.here) - Number(a.here) ||
      Number(b.typo) - Number(a.typo) ||
      b.shared - a.shared ||
      a.d - b.d ||
      a.hook.localeCompare(b.hook),
  );
  return scored.slice(0, limit).map((s) => s.hook);
}
