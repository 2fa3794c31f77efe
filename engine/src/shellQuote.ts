// Quoting for the remote shell: ssh sends one string, which the remote login shell splits again.

/** One argument as a POSIX sh word: 'it'\''s' survives spaces, quotes, $(), globs and newlines. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
