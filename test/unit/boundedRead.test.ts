// Bounded reading of the files users point the tools at, in this process: each refusal says exactly why
// (hostileInputFiles.test.ts runs the linter on the same kinds of file).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { readBoundedFile, readTextFile, type ReadLimit } from '../../server/src/ctext/boundedRead';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bounded-read-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const C_FILE: ReadLimit = { what: 'a C file', maxBytes: 64 };
/** The reason readBoundedFile gives, or the text it read. */
function outcome(file: string, limit: ReadLimit = C_FILE): string {
  try {
    return readTextFile(file, limit);
  } catch (err) {
    assert.equal((err as Error).name, 'InputFileError');
    return `refused: ${(err as Error).message}`;
  }
}

describe('readBoundedFile and readTextFile', () => {
  it('read a regular file within the limit, the limit included', () => {
    const file = path.join(tmp, 'ok.c');
    fs.writeFileSync(file, 'x'.repeat(64));
    assert.equal(outcome(file), 'x'.repeat(64));
    assert.deepEqual(readBoundedFile(file, C_FILE), Buffer.from('x'.repeat(64)));
  });

  it('refuse what is not a regular file, or is missing, or is over the limit, in one phrase', () => {
    const big = path.join(tmp, 'big.c');
    fs.writeFileSync(big, 'x'.repeat(65));
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const binary = path.join(tmp, 'bin.c');
    fs.writeFileSync(binary, 'int x;\0');
    assert.deepEqual(
      [path.join(tmp, 'missing.c'), tmp, fifo, '/dev/zero', big, binary].map((f) => outcome(f)),
      [
        'refused: no such file',
        'refused: is a directory, not a C file',
        'refused: is a FIFO (named pipe), not a C file',
        'refused: is a character device, not a C file',
        'refused: is over the 0.0 MiB limit for a C file (0.0 MiB)',
        'refused: is a binary file, not C source',
      ],
    );
    // Under a regular file: stat fails with ENOTDIR.
    assert.equal(outcome(path.join(big, 'x.c')), 'refused: cannot read (ENOTDIR)');
    assert.equal(outcome(big, { ...C_FILE, tooLarge: (n) => `${n} bytes, too many` }), 'refused: is 65 bytes, too many');
    assert.equal(
      outcome(big, { what: 'a kernel BTF', maxBytes: 1024 * 1024 * 1024 }).length,
      65,
      'the limit is the reader’s, not a fixed one',
    );
  });

  it('refuses a socket', async () => {
    const socket = path.join(tmp, 'sock');
    const server = net.createServer().listen(socket);
    await once(server, 'listening');
    try {
      assert.equal(outcome(socket), 'refused: is a socket, not a C file');
    } finally {
      server.close();
    }
  });

  it('a file whose size stat gives as 0 (procfs) is read to its end, and refused once over the limit', () => {
    const status = outcome('/proc/self/status', { what: 'a status file', maxBytes: 1024 * 1024 });
    assert.match(status, /^Name:\t/);
    assert.equal(fs.statSync('/proc/self/status').size, 0);
    assert.equal(
      outcome('/proc/self/status', { what: 'a status file', maxBytes: 100, tooLarge: (n) => `over 100 bytes (read ${n})` }),
      'refused: is over 100 bytes (read 101)',
    );
    // Past the first 64 KiB the buffer grows (kallsyms is megabytes, and stat says 0).
    const symbols = readBoundedFile('/proc/kallsyms', { what: 'a symbol list', maxBytes: 256 * 1024 * 1024 });
    assert.ok(symbols.length > 256 * 1024, `${symbols.length} bytes`);
    assert.equal(symbols.subarray(-1).toString(), '\n');
  });
});
