// Says which releases have a hook, compactly: "6.1.20 to 7.1.5", or a list when there are gaps.

export function describeReleases(have: string[], all: string[]): string {
  if (have.length === 0) return 'no bundled release';
  const first = all.indexOf(have[0]);
  const contiguous = have.every((r, i) => all[first + i] === r);
  if (have.length === 1) return have[0];
  return contiguous ? `${have[0]} to ${have[have.length - 1]}` : have.join(', ');
}
