// Text the linter prints comes partly from its input: file names, hook names, code. Control characters
// in it could fake output lines (a newline in a file name) or drive the terminal (ESC sequences), and
// bidirectional overrides could reorder what is shown; they are printed as visible escapes instead.

/** C0 and C1 controls (not tab), DEL, line and paragraph separators, bidi marks and overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is what this is for
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw in strings (C0 controls it escapes itself; newlines outside strings stay). */
const UNSAFE_IN_JSON = /[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\x1b', '\\e'],
]);

function hex(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** `a\nb` -> `a\\nb`: one line of plain text, whatever the input held. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED.get(c) ?? hex(c));
}

/**
 * JSON.stringify escapes C0 controls but not DEL, C1 controls, U+2028/9 or bidi marks. They are escaped
 * as \uXXXX too (only ever inside strings, so the JSON means the same), in case the output is shown raw.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
