// Checks the framing of the stdio protocol stream before vscode-jsonrpc reads it. jsonrpc stops at a
// header it cannot use (no Content-Length, a length that is not a number) and waits for any length it
// is given, so one bad header silenced the server for good. Here a malformed header block is dropped,
// with the bytes after it up to the next header, and logged; lengths over a cap count as malformed.
// Well-formed messages pass with a canonical header (`Content-Length: N`, CRLF).
import { Transform, type TransformCallback } from 'node:stream';

export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A header block longer than this is not a header. */
const MAX_HEADER_BYTES = 8192;
const HEADER_START = 'content-length:';
const EMPTY = Buffer.alloc(0);

export class FramingGuard extends Transform {
  /** Unconsumed input: an incomplete header block, or the tail kept while looking for the next header. */
  private pending: Buffer = EMPTY;
  /** Bytes of the current body still to pass through. */
  private bodyLeft = 0;
  /** After a malformed header: skipping to the next `Content-Length:`. */
  private skipping = false;

  constructor(private readonly report: (message: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    while (data.length > 0) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, data.length);
        this.push(data.subarray(0, n));
        this.bodyLeft -= n;
        data = data.subarray(n);
      } else if (this.skipping) {
        const at = data.toString('latin1').toLowerCase().indexOf(HEADER_START);
        if (at < 0) {
          // The marker may be split across chunks: keep what could be its beginning.
          this.pending = Buffer.from(data.subarray(Math.max(0, data.length - HEADER_START.length + 1)));
          break;
        }
        this.skipping = false;
        data = data.subarray(at);
      } else {
        const end = headerEnd(data);
        if (end < 0) {
          if (data.length <= MAX_HEADER_BYTES) {
            this.pending = Buffer.from(data);
            break;
          }
          this.dropHeader(`no end of the header within ${MAX_HEADER_BYTES} bytes`, data.subarray(0, 200));
          data = data.subarray(1);
          continue;
        }
        const header = data.subarray(0, end);
        data = data.subarray(end);
        const length = contentLength(header.toString('latin1'));
        if (typeof length === 'string') {
          this.dropHeader(length, header);
        } else {
          this.push(Buffer.from(`Content-Length: ${length}\r\n\r\n`, 'ascii'));
          this.bodyLeft = length;
        }
      }
    }
    done();
  }

  private dropHeader(why: string, header: Buffer): void {
    this.skipping = true;
    this.report(
      `dropped a malformed message header (${why}): ${JSON.stringify(header.subarray(0, 200).toString('latin1'))}; reading on at the next Content-Length header`,
    );
  }
}

/** Index just past the blank line that ends a header block (CRLF or LF lines), or -1. */
function headerEnd(data: Buffer): number {
  for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) {
    let j = i + 1;
    if (data[j] === 13) j++;
    if (data[j] === 10) return j + 1;
  }
  return -1;
}

/** The Content-Length of a header block, or why the block cannot be used. */
function contentLength(header: string): number | string {
  let length: number | undefined;
  for (const line of header.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) return 'a header line without a colon';
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,15}$/.test(value)) return `Content-Length is not a number: ${JSON.stringify(value.slice(0, 40))}`;
    if (length !== undefined && Number(value) !== length) return 'two different Content-Length headers';
    length = Number(value);
  }
  if (length === undefined) return 'no Content-Length';
  if (length > MAX_MESSAGE_BYTES) return `Content-Length ${length} is over the limit of ${MAX_MESSAGE_BYTES / 1048576} MiB`;
  return length;
}
