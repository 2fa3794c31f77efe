// Malformed message framing on the server's stdin: a header without Content-Length, a length that is
// not a number, a length of 2 GB. Each is logged and dropped, and the next well-formed request is answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FramingGuard } from '../../server/src/lsp/framing';
import { fixture } from '../helpers/paths';
import { LspTestClient } from './lspClient';

function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms))]);
}

describe('message framing on stdin', () => {
  let lsp: LspTestClient;
  const uri = 'file:///work/framing.bpf.c';
  before(async () => {
    lsp = await LspTestClient.start();
    await lsp.openAndWait(uri, fixture('lint', 'seed-connect-braced.bpf.c'));
  });
  after(async () => {
    await lsp.stop();
  });

  /** The server still answers: a hover on the hook name. */
  async function answers(): Promise<void> {
    const hover = await within(5000, lsp.hover(uri, 13, 12));
    assert.match((hover!.contents as { value: string }).value, /^\*\*socket_connect\*\*: LSM hook/);
  }

  const cases: [string, string, string][] = [
    [
      'a header without Content-Length',
      'Content-Type: foo\r\n\r\n{}',
      'dropped a malformed message header (no Content-Length): "Content-Type: foo\\r\\n\\r\\n"',
    ],
    [
      'a Content-Length that is not a number',
      'Content-Length: abc\r\n\r\n{}',
      'dropped a malformed message header (Content-Length is not a number: "abc"): "Content-Length: abc\\r\\n\\r\\n"',
    ],
    [
      'a Content-Length of 2 GB',
      'Content-Length: 2147483648\r\n\r\n{"jsonrpc":"2.0"}',
      'dropped a malformed message header (Content-Length 2147483648 is over the limit of 64 MiB): "Content-Length: 2147483648\\r\\n\\r\\n"',
    ],
    [
      'a header line without a colon',
      'garbage\r\n\r\n',
      'dropped a malformed message header (a header line without a colon): "garbage\\r\\n\\r\\n"',
    ],
  ];
  for (const [what, raw, logged] of cases) {
    it(`${what}: logged, dropped, and the next request is answered`, async () => {
      await lsp.writeRaw(raw);
      await answers();
      assert.ok(
        lsp.logs.some((l) => l.includes(`${logged}; reading on at the next Content-Length header`)),
        `log: ${logged}`,
      );
    });
  }
});

describe('FramingGuard', () => {
  const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  /** What the guard passes on when `input` arrives in chunks of `size` bytes. */
  async function through(input: Buffer, size: number): Promise<{ output: string; reports: string[] }> {
    const reports: string[] = [];
    const guard = new FramingGuard((m) => reports.push(m));
    const chunks: Buffer[] = [];
    guard.on('data', (c: Buffer) => chunks.push(c));
    for (let i = 0; i < input.length; i += size) guard.write(input.subarray(i, i + size));
    guard.end();
    await new Promise((resolve) => guard.on('end', resolve));
    return { output: Buffer.concat(chunks).toString('utf8'), reports };
  }

  it('passes messages split anywhere, drops what is malformed up to the next header, in any chunking', async () => {
    const a = '{"jsonrpc":"2.0","id":1,"method":"a","params":{"text":"Content-Length: 3 \u00e9\ud83d\ude00"}}';
    const b = '{"jsonrpc":"2.0","id":2,"method":"b"}';
    const input = Buffer.from(
      [
        frame(a),
        'Content-Type: foo\r\n\r\n{"half":',
        `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n${frame(b)}`,
        'Content-Length: x\n\n',
        `Content-Length: ${Buffer.byteLength(a)}\n\n${a}`,
      ].join(''),
    );
    for (const size of [1, 2, 3, 7, 64, input.length]) {
      const { output, reports } = await through(input, size);
      assert.equal(output, frame(a) + frame(b) + frame(a), `chunks of ${size}`);
      assert.equal(reports.length, 2, `chunks of ${size}`);
    }
  });

  it('does not hold on to a long run of bytes with no header', async () => {
    const { output, reports } = await through(Buffer.concat([Buffer.alloc(100_000, 'x'), Buffer.from(frame('{}'))]), 4096);
    assert.equal(output, frame('{}'));
    assert.deepEqual(
      reports.map((r) => r.slice(0, 80)),
      ['dropped a malformed message header (no end of the header within 8192 bytes): "xx'],
    );
  });
});
