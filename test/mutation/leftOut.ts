// Tests the mutation run skips, by the start of their full title (describe titles and the test's, joined
// by spaces). A surviving mutant runs every test that covers it, and the dry run (progress-log's
// "weighty" list) showed these few costing more than half of that time: time bounds on hostile input,
// which instrumented code cannot measure anyway (their limits are stretched tenfold), and one protocol
// test that re-analyses every fixed fixture. What else they assert is asserted on small inputs by tests
// that stay. Leaving a test out can only lower the score: never a mutant counted killed that no test
// kills. `npm test` runs them all.
export const LEFT_OUT: readonly { title: string; why: string }[] = [
  {
    title: 'language server over the protocol every quick fix of every fixture',
    why:
      'each fix re-analysed over the protocol (3.6 s, 6,704 mutants); "every fix of every fixture leaves a file that ' +
      'still parses" checks the same fixes in the analysis, suppressions.test.ts the suppression edit',
  },
  {
    title: 'hostile bodies: bounded, no failure',
    why: 'time bounds (9 s in all, 2,350 mutants); valueFlowPaths.test.ts tests the join and nesting bounds on small bodies',
  },
  { title: 'helper and kfunc checks: bounded on hostile input', why: 'a time bound (2.3 s, 2,409 mutants)' },
  { title: 'inline suppressions stays linear on a file of thousands of directives', why: 'a time bound (2.6 s, 2,133 mutants)' },
  { title: 'deeply nested code', why: 'time bounds on 5,000 to 20,000 levels (0.9 s, 2,032 mutants)' },
  { title: 'attribute runs on hostile text reads text once', why: 'a time bound (3.1 s)' },
  {
    title: "the language server with a probed target (this machine's kernel's BTF)",
    why: 'the 5 MB BTF parsed three times (1.3 s, 1,147 mutants); the same hovers run over a crafted BTF',
  },
];

/** The entry a test's full title falls under, or undefined. */
export function leftOut(fullTitle: string): { title: string; why: string } | undefined {
  return LEFT_OUT.find((e) => fullTitle.startsWith(e.title));
}
