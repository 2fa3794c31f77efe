// Compares one BPF_PROG argument with the hook's parameter at the same position.
import { tagName, type CParam } from '../../ctext/cDecl';

/** Why `mine` cannot stand for `theirs`, or null when it can. const, __user and names do not matter. */
export function argumentProblem(mine: CParam, theirs: CParam): string | null {
  if (mine.base.includes('(') || theirs.base.includes('(')) return null;
  if (mine.pointer !== theirs.pointer) {
    if (mine.pointer === 1 && mine.base === 'void' && theirs.pointer > 0) return null;
    if (mine.pointer === 0) return `a scalar where the hook passes a pointer`;
    if (theirs.pointer === 0) return `a pointer where the hook passes a scalar`;
    return `a pointer of another depth`;
  }
  if (mine.pointer === 0) return null;
  const a = tagName(mine);
  const b = tagName(theirs);
  if (a && b && (a.kind !== b.kind || a.name !== b.name)) return `a pointer to ${a.kind} ${a.name}, not ${b.kind} ${b.name}`;
  return null;
}
