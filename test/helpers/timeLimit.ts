// Time bounds of the hostile-input tests (what "does not hang" means there; speed targets live in the
// bench). The mutation run stretches them: its instrumented code counts every statement it runs and is
// several times slower (test/mutation/register.ts sets the factor).
const scale = Number(process.env.BPF_LSM_TIME_LIMIT_SCALE) || 1;

export function timeLimit(ms: number): number {
  return ms * scale;
}
