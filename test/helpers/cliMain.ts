// Runs a CLI's main(argv, out, err) in-process and captures what it writes: for the bpf-lsm-test and
// bpf-lsm-verify tests, which check exit status and text without spawning the bundle.

type Main = (argv: string[], out: { write(s: string): unknown }, err: { write(s: string): unknown }) => Promise<number>;

class Capture {
  text = '';
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

export async function runMain(main: Main, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(args, out, err);
  return { code, out: out.text, err: err.text };
}
