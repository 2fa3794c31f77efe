// Maps string offsets to LSP positions (0-based line, UTF-16 column) and back, for one text. Lines end
// at \n, \r\n or a lone \r, as LSP defines them (a file saved with old Mac line ends is one "line" to
// anything that only splits at \n).

/** 0-based line and UTF-16 column, as in LSP. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** \r\n, \r or \n: the line ends LSP counts. */
const LINE_END = /\r\n?|\n/g;

/** The lines of a text, split at every kind of line end. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n?|\n/);
}

const INDENT = /[ \t]*/y;

export class TextIndex {
  private readonly starts: number[] = [0];
  /** The text's own line end (its first one), for edits that insert lines; \n when it has none. */
  readonly eol: string;

  constructor(readonly text: string) {
    if (!text.includes('\r')) {
      // The common case, and the fast one.
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      this.eol = '\n';
      return;
    }
    let first: string | undefined;
    for (const m of text.matchAll(LINE_END)) {
      first ??= m[0];
      this.starts.push(m.index + m[0].length);
    }
    this.eol = first ?? '\n';
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /**
   * The position of `offset`, always a real one: offsets before the text or past it are clamped, and an
   * offset inside a line end (at the \n of \r\n, or past a line's last character) is that line's end.
   */
  position(offset: number): Position {
    const starts = this.starts;
    const o = Math.min(Math.max(offset, 0), this.text.length);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: Math.min(o, this.lineEnd(lo)) - starts[lo] };
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  offset(pos: Position): number {
    const line = Math.min(Math.max(pos.line, 0), this.starts.length - 1);
    return Math.min(this.starts[line] + Math.max(pos.character, 0), this.lineEnd(line));
  }

  /** The leading white space of the line holding `offset`. */
  indentAt(offset: number): string {
    INDENT.lastIndex = this.starts[this.position(offset).line];
    return INDENT.exec(this.text)![0];
  }

  /** Where line `line`'s text ends, before its line end. */
  private lineEnd(line: number): number {
    if (line + 1 >= this.starts.length) return this.text.length;
    const next = this.starts[line + 1];
    return this.text[next - 1] === '\n' && this.text[next - 2] === '\r' ? next - 2 : next - 1;
  }
}
