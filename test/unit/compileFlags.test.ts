// The include directories the build tells of (compile_commands.json, .clangd), each source written out
// with what it must give: the words of a command line, the -I spellings, both .clangd forms, and the
// compile database's entries (local-headers tests lint through them).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BuildFlagsCache,
  buildIncludeDirs,
  clangdIncludeDirs,
  compileCommandsIncludeDirs,
  includeDirsOfArgs,
  splitCommand,
} from '../../server/src/config/compileFlags';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compile-flags-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A project folder with these files (paths relative to it); returns its path. */
function project(name: string, files: Record<string, string>): string {
  const root = path.join(tmp, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('build include directories', () => {
  it('splits a command line as a POSIX shell does: quotes and backslashes, nothing more', () => {
    assert.deepEqual(splitCommand(`clang -I "a b" -I'c d' -Ie\\ f -DX="\\"q\\"" $HOME  `), [
      'clang',
      '-I',
      'a b',
      '-Ic d',
      '-Ie f',
      '-DX="q"',
      '$HOME',
    ]);
    assert.deepEqual(splitCommand(''), []);
  });

  it('takes -I and -iquote in every spelling, resolved against the base; nothing else', () => {
    assert.deepEqual(
      includeDirsOfArgs(['-I', 'a', '-Ib', '-iquote', 'c', '-iquoted', '-I=e', '-I/abs', '-DX', 'x-Iy', '-isystem', 's', '-I'], '/b'),
      ['/b/a', '/b/b', '/b/c', '/b/d', '/b/e', '/abs'],
    );
    // Only a leading `=` goes; a directory name may hold one, or a line break.
    assert.deepEqual(includeDirsOfArgs(['-Ia=b', '-I=c=d', '-Iline\nbreak'], '/b'), ['/b/a=b', '/b/c=d', '/b/line\nbreak']);
  });

  it(".clangd's Add, in the list form and the block form, relative to its folder", () => {
    const list = project('list', {
      // A commented-out Add, a space before the colon, a list over two lines.
      '.clangd':
        'CompileFlags:\n  # Add: [-Icommented]\n  Add : [-I../include, "-iquote",\n         inc, \'-Iq\', -DX]\n  Remove: [-Iignored]\n',
      'src/p.bpf.c': '',
    });
    assert.deepEqual(clangdIncludeDirs(path.join(list, 'src', 'p.bpf.c')), [
      path.join(tmp, 'include'),
      path.join(list, 'inc'),
      path.join(list, 'q'),
    ]);
    const tight = project('tight', { '.clangd': 'CompileFlags:\n  Add:[-Inospace]\n', 'p.bpf.c': '' });
    assert.deepEqual(clangdIncludeDirs(path.join(tight, 'p.bpf.c')), [path.join(tight, 'nospace')]);
    const lf = project('block-lf', { '.clangd': 'CompileFlags:\n  Add:\n    - -Ione\n    - -Itwo\n', 'p.bpf.c': '' });
    assert.deepEqual(clangdIncludeDirs(path.join(lf, 'p.bpf.c')), [path.join(lf, 'one'), path.join(lf, 'two')]);
    const block = project('block', {
      '.clangd': 'CompileFlags:\r\n  Add:\r\n    - -Iblock\r\n    - "-iquote"\r\n    - quoted dir\r\n  Remove:\r\n    - -Inot\r\n',
      'p.bpf.c': '',
    });
    assert.deepEqual(clangdIncludeDirs(path.join(block, 'p.bpf.c')), [path.join(block, 'block'), path.join(block, 'quoted')]);
    const none = project('none', { 'p.bpf.c': '' });
    assert.deepEqual(clangdIncludeDirs(path.join(none, 'p.bpf.c')), []);
    // Brackets and quotes inside a word stay, and so do runs of spaces between two words of one entry.
    const inner = project('inner', {
      '.clangd': "CompileFlags:\n  Add: [-Iq'uote, -Imid- dash, -iquote   spaced]\n",
      'p.bpf.c': '',
    });
    assert.deepEqual(clangdIncludeDirs(path.join(inner, 'p.bpf.c')), [
      path.join(inner, "q'uote"),
      path.join(inner, 'mid-'),
      path.join(inner, 'spaced'),
    ]);
    const brackets = project('brackets', { '.clangd': 'CompileFlags:\n  Add:\n    - -Iarr[1]x\n', 'p.bpf.c': '' });
    assert.deepEqual(clangdIncludeDirs(path.join(brackets, 'p.bpf.c')), [path.join(brackets, 'arr[1]x')]);
    // Over its 256 KiB bound: not read, nothing added.
    const huge = project('huge-clangd', { '.clangd': `CompileFlags:\n  Add: [-Ihuge]\n${'#'.repeat(256 * 1024)}\n`, 'p.bpf.c': '' });
    assert.deepEqual(clangdIncludeDirs(path.join(huge, 'p.bpf.c')), []);
  });

  it("compile_commands.json: the file's first entry, arguments or command, from its directory", () => {
    const root = project('db', {
      'compile_commands.json': JSON.stringify([
        null,
        { file: 7 },
        { directory: 'build', file: '../src/a.bpf.c', arguments: ['clang', '-Iinc', 3, '-iquote', 'q'] },
        { directory: 'build', file: '../src/a.bpf.c', arguments: ['clang', '-Isecond'] },
        { file: 'src/b.bpf.c', command: 'clang -I "with space" -c b.bpf.c' },
        { file: 'src/c.bpf.c' },
        // A flag whose directory is not a string: no directory, and no failure.
        { file: 'src/d.bpf.c', arguments: ['clang', '-I', 5] },
      ]),
      'src/a.bpf.c': '',
    });
    const src = (name: string) => path.join(root, 'src', name);
    assert.deepEqual(compileCommandsIncludeDirs(src('a.bpf.c')), [path.join(root, 'build', 'inc'), path.join(root, 'build', 'q')]);
    assert.deepEqual(compileCommandsIncludeDirs(src('b.bpf.c')), [path.join(root, 'with space')]);
    assert.deepEqual(compileCommandsIncludeDirs(src('c.bpf.c')), []);
    assert.deepEqual(compileCommandsIncludeDirs(src('d.bpf.c')), []);
    assert.deepEqual(compileCommandsIncludeDirs(src('other.bpf.c')), []);
    assert.deepEqual(compileCommandsIncludeDirs(path.join(project('no-db', { 'p.bpf.c': '' }), 'p.bpf.c')), []);
    const broken = project('broken', { 'compile_commands.json': '{ not json', 'p.bpf.c': '' });
    assert.deepEqual(compileCommandsIncludeDirs(path.join(broken, 'p.bpf.c')), []);
    const object = project('object', { 'compile_commands.json': '{"file": "p.bpf.c"}', 'p.bpf.c': '' });
    assert.deepEqual(compileCommandsIncludeDirs(path.join(object, 'p.bpf.c')), []);
  });

  it('both together, compile_commands.json first; with a cache each file is read once', () => {
    const root = project('both', {
      'compile_commands.json': JSON.stringify([{ file: 'p.bpf.c', arguments: ['clang', '-Idb'] }]),
      '.clangd': 'CompileFlags:\n  Add: [-Iclangd]\n',
      'p.bpf.c': '',
    });
    const file = path.join(root, 'p.bpf.c');
    const cache = new BuildFlagsCache();
    const first = [path.join(root, 'db'), path.join(root, 'clangd')];
    assert.deepEqual(buildIncludeDirs(file, cache), first);
    fs.writeFileSync(path.join(root, '.clangd'), 'CompileFlags:\n  Add: [-Ichanged]\n');
    fs.writeFileSync(path.join(root, 'compile_commands.json'), '[]');
    assert.deepEqual(buildIncludeDirs(file, cache), first, 'from the cache');
    assert.deepEqual(buildIncludeDirs(file), [path.join(root, 'changed')], 'read afresh');
  });
});
