// Timing helpers for the benchmarks: repeat, then report median and p95 in milliseconds.

export interface Summary {
  runs: number;
  median: number;
  p95: number;
  max: number;
}

export function summarise(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { runs: s.length, median: pick(0.5), p95: pick(0.95), max: s[s.length - 1] };
}

export function time(runs: number, fn: () => void, warmup = Math.min(20, runs)): Summary {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return summarise(samples);
}

export function report(label: string, s: Summary, targetP95?: number): void {
  const verdict = targetP95 === undefined ? '' : `  target p95 <= ${targetP95} ms: ${s.p95 <= targetP95 ? 'met' : 'MISSED'}`;
  console.log(`${label.padEnd(58)} median ${s.median.toFixed(3)} ms  p95 ${s.p95.toFixed(3)} ms  (${s.runs} runs)${verdict}`);
}
