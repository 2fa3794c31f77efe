// Local headers: found as the compiler finds them, read within bounds, and what they hold (licences,
// #defines, section macros) seen by the analysis of the file that includes them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { readIncludes } from '../../server/src/analysis/includeReader';
import {
  blankComments,
  headerFacts,
  INCLUDE_LIMITS,
  includeFacts,
  localIncludes,
  type ResolvedIncludes,
} from '../../server/src/analysis/includes';
import {
  BuildFlagsCache,
  buildIncludeDirs,
  clangdIncludeDirs,
  compileCommandsIncludeDirs,
  splitCommand,
} from '../../server/src/config/compileFlags';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { expectedFindings, formatExpectations } from '../helpers/expectations';
import { FIXTURES } from '../helpers/paths';

const catalog = HookCatalog.bundled();
let analyzer: Analyzer;
let tmp: string;
before(async () => {
  analyzer = await Analyzer.create();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bpf-lsm-includes-'));
});
after(() => {
  analyzer.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(file: string, text: string | Buffer): string {
  const full = path.join(tmp, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  return full;
}

const PROGRAM = `SEC("lsm/file_open")\nint BPF_PROG(check_open, struct file *file, int ret)\n{\n\treturn ret;\n}\n`;

function analyse(text: string, includes?: ResolvedIncludes) {
  return analyzer.analyze(text, catalog.target({}).target, catalog, includes ? { includes } : {}).findings;
}

describe('include directives', () => {
  it('takes quoted includes, not angle ones nor commented-out ones, with the span of the directive', () => {
    const text = [
      '#include <vmlinux.h>',
      '#include "a.h" // the first',
      '  #  include   "dir/b.h"',
      '// #include "commented.h"',
      '/* #include "block.h" */',
      'char *s = "#include \\"string.h\\"";',
      '#define X 1 /* "not.h" */',
    ].join('\n');
    const found = localIncludes(text);
    assert.deepEqual(
      found.map((d) => [d.name, text.slice(d.start, d.end)]),
      [
        ['a.h', '#include "a.h"'],
        ['dir/b.h', '#  include   "dir/b.h"'],
      ],
    );
  });

  it('finds an include far down the file at its offset, and not one inside a comment still open there', () => {
    const filler = Array.from({ length: 1000 }, (_, i) => `int x${i}; /* filler */ // "${i}"`).join('\n');
    const text = `#include "top.h"\n${filler}\n#include "late.h"\n/* open\n#include "in-comment.h"\n*/\nint y;\n`;
    assert.deepEqual(
      localIncludes(text).map((d) => [d.name, d.start, text.slice(d.start, d.end)]),
      [
        ['top.h', 0, '#include "top.h"'],
        ['late.h', text.indexOf('#include "late.h"'), '#include "late.h"'],
      ],
    );
  });

  it('blanks comments but keeps offsets and line ends', () => {
    const text = 'a /* x\ny */ b // c\nd "/* s */"';
    assert.equal(blankComments(text), 'a     \n     b     \nd "/* s */"');
    // A character literal holding a quote, a division, a comment that ends on its line, a // continued by a backslash.
    assert.equal(blankComments(`c = '"'; /* x */ d = 1 / 2; // e`), `c = '"';         d = 1 / 2;     `);
    assert.equal(blankComments("s = '\\''; // q\\\nstill\nnext"), "s = '\\'';      \n     \nnext");
    assert.equal(blankComments('a /* open'), 'a        ');
  });

  it('takes no more header text than the limit from what a caller gives, saying which header it left', () => {
    const big = 'x'.repeat(4 * 1024 * 1024 - 11); // with fits.h's 11 characters: the 4 MiB limit exactly
    const { facts, inherited } = includeFacts('#include "big.h"\n#include "late.h"\n', {
      headers: [
        { path: 'big.h', text: big, via: 'big.h' },
        { path: 'fits.h', text: '#define A 1', via: 'big.h' },
        { path: 'late.h', text: '#define B 2', via: 'late.h' },
      ],
      unread: [],
    });
    assert.deepEqual([...inherited.defines], [['A', '1']]);
    assert.deepEqual(facts.unread, [{ name: 'late.h', reason: 'over the limit on header text per file', via: 'late.h' }]);
  });

  it('reads licences, object-like defines (continued lines too) and section macros from a header', () => {
    const facts = headerFacts(
      [
        '#define DENY (-EPERM)',
        '#define LONG_ONE \\',
        '  42',
        '#define HOOK(name) SEC("lsm.s/" #name)',
        '#define MAX(a, b) ((a) > (b) ? (a) : (b))',
        '#define LICENSE_MARK SEC("license")',
        '  #  define LICENSE_SPACED SEC("license")',
        '#define HOOK2( kind , name ) SEC("lsm" #kind "/" #name)',
        '#define OPEN() SEC("lsm/file_open")',
        '/* char L[] SEC("license") = "Proprietary"; */',
        'char hash = \'#\'; char _license[] SEC("license") = "Dual MIT/GPL";',
      ].join('\n'),
    );
    assert.deepEqual(
      [...facts.defines],
      [
        ['DENY', '(-EPERM)'],
        ['LONG_ONE', '42'],
        ['LICENSE_MARK', 'SEC("license")'],
        ['LICENSE_SPACED', 'SEC("license")'],
      ],
    );
    assert.deepEqual(
      [...facts.sectionMacros],
      [
        ['HOOK', { params: ['name'], pieces: ['lsm.s/', 0] }],
        ['HOOK2', { params: ['kind', 'name'], pieces: ['lsm', 0, '/', 1] }],
        ['OPEN', { params: [], pieces: ['lsm/file_open'] }],
      ],
    );
    assert.deepEqual(facts.licenses, ['Dual MIT/GPL']);
  });
});

describe('reading local headers', () => {
  it("looks in the including file's directory first, then the include paths in order", () => {
    write('first/main.bpf.c', '');
    write('first/here.h', '#define WHERE 1\n');
    write('inc1/here.h', '#define WHERE 2\n');
    write('inc1/only.h', '#include "nested.h"\n#include "gone.h"\n');
    write('inc2/only.h', '#define WHERE 3\n');
    write('inc1/nested.h', '#define NESTED 1\n');
    const r = readIncludes(path.join(tmp, 'first/main.bpf.c'), '#include "here.h"\n#include "only.h"\n', {
      dirs: [path.join(tmp, 'inc1'), path.join(tmp, 'inc2')],
    });
    assert.deepEqual(
      r.headers.map((h) => [h.path, h.via, h.text]),
      [
        ['here.h', 'here.h', '#define WHERE 1\n'],
        [path.join(tmp, 'inc1/only.h'), 'only.h', '#include "nested.h"\n#include "gone.h"\n'],
        [path.join(tmp, 'inc1/nested.h'), 'only.h', '#define NESTED 1\n'],
      ],
    );
    assert.deepEqual(r.unread, [
      { name: 'gone.h', reason: `not found beside ${path.join(tmp, 'inc1/only.h')} or in the include paths`, via: 'only.h' },
    ]);
  });

  it('reads each header once, so include cycles end', () => {
    write('cycle/a.h', '#include "b.h"\n#define A 1\n');
    write('cycle/b.h', '#include "a.h"\n#include "b.h"\n#define B 1\n');
    const r = readIncludes(path.join(tmp, 'cycle/main.c'), '#include "a.h"\n#include "b.h"\n#include "a.h"\n', { dirs: [] });
    assert.deepEqual(
      r.headers.map((h) => h.path),
      ['a.h', 'b.h'],
    );
    assert.deepEqual(r.unread, []);
  });

  it('stops a chain deeper than the depth limit, with the reason', () => {
    for (let i = 0; i < INCLUDE_LIMITS.depth + 5; i++) write(`deep/h${i}.h`, `#include "h${i + 1}.h"\n`);
    const r = readIncludes(path.join(tmp, 'deep/main.c'), '#include "h0.h"\n', { dirs: [] });
    assert.equal(r.headers.length, 16);
    assert.deepEqual(r.unread, [{ name: 'h16.h', reason: 'included more than 16 levels deep', via: 'h0.h' }]);
  });

  it('stops past the number of headers per file', () => {
    const names = Array.from({ length: INCLUDE_LIMITS.files + 3 }, (_, i) => `n${i}.h`);
    for (const n of names) write(`many/${n}`, '\n');
    const r = readIncludes(path.join(tmp, 'many/main.c'), names.map((n) => `#include "${n}"`).join('\n'), { dirs: [] });
    assert.equal(r.headers.length, 64);
    assert.deepEqual(
      r.unread.map((u) => [u.name, u.reason]),
      names.slice(64).map((n) => [n, 'over the limit of 64 headers per file']),
    );
  });

  it('skips with a reason what is missing, too large, binary, a directory or a FIFO; never reads vmlinux.h', () => {
    write('bad/big.h', Buffer.alloc(INCLUDE_LIMITS.headerBytes + 1, 0x20));
    write('bad/binary.h', Buffer.from([0x23, 0, 1, 2]));
    fs.mkdirSync(path.join(tmp, 'bad/dir.h'), { recursive: true });
    execFileSync('mkfifo', [path.join(tmp, 'bad/fifo.h')]);
    write('bad/vmlinux.h', 'char LICENSE[] SEC("license") = "GPL";\n');
    const text = ['missing.h', 'big.h', 'binary.h', 'dir.h', 'fifo.h', 'vmlinux.h', 'bpf_helpers.h']
      .map((n) => `#include "${n}"`)
      .join('\n');
    const r = readIncludes(path.join(tmp, 'bad/main.c'), text, { dirs: [] });
    assert.deepEqual(r.headers, []);
    assert.deepEqual(
      r.unread.map((u) => [u.name, u.reason]),
      [
        ['missing.h', 'not found beside this file, and no include paths are set'],
        ['big.h', 'is over the 1.0 MiB limit for a C header (1.0 MiB)'],
        ['binary.h', 'is a binary file, not C source'],
        ['dir.h', 'is a directory, not a C header'],
        ['fifo.h', 'is a FIFO (named pipe), not a C header'],
      ],
    );
  });

  it('refuses hostile names without touching the file system for them', () => {
    const long = 'x'.repeat(5000);
    const r = readIncludes(path.join(tmp, 'main.c'), `#include ""\n#include "${long}"\n#include "a\0b.h"\n`, { dirs: [] });
    assert.deepEqual(
      r.unread.map((u) => u.reason),
      ['an empty name', 'a name over 1024 characters', 'a name with a control character'],
    );
  });

  it('refuses devices and symlink loops named by absolute or relative paths', () => {
    fs.mkdirSync(path.join(tmp, 'links'), { recursive: true });
    fs.symlinkSync('loop.h', path.join(tmp, 'links/loop.h'));
    fs.symlinkSync('/dev/zero', path.join(tmp, 'links/zero.h'));
    const r = readIncludes(path.join(tmp, 'links/main.c'), '#include "/dev/null"\n#include "loop.h"\n#include "zero.h"\n', { dirs: [] });
    assert.deepEqual(r.headers, []);
    assert.deepEqual(
      r.unread.map((u) => [u.name, u.reason]),
      [
        ['/dev/null', 'is a character device, not a C header'],
        ['loop.h', 'not found beside this file, and no include paths are set'],
        ['zero.h', 'is a character device, not a C header'],
      ],
    );
  });

  it("prefers an open editor's text over the disk", () => {
    write('open/h.h', '#define V 1\n');
    const file = path.join(tmp, 'open/h.h');
    const r = readIncludes(path.join(tmp, 'open/main.c'), '#include "h.h"\n#include "unsaved.h"\n', {
      dirs: [],
      openText: (f) => (f === file ? '#define V 2\n' : f === path.join(tmp, 'open/unsaved.h') ? '#define U 1\n' : undefined),
    });
    assert.deepEqual(
      r.headers.map((h) => h.text),
      ['#define V 2\n', '#define U 1\n'],
    );
  });
});

describe('include directories from the build', () => {
  it('splits a compile command as a shell would', () => {
    assert.deepEqual(splitCommand(`clang -I "my dir" -I'q d' -DX=\\"y\\" a.c`), ['clang', '-I', 'my dir', '-Iq d', '-DX="y"', 'a.c']);
  });

  it("takes -I and -iquote from the file's own compile_commands.json entry", () => {
    const cdb = path.join(FIXTURES, 'includes', 'with-cdb');
    assert.deepEqual(compileCommandsIncludeDirs(path.join(cdb, 'src', 'prog.bpf.c')), [path.join(cdb, 'headers')]);
    assert.deepEqual(compileCommandsIncludeDirs(path.join(cdb, 'src', 'other.bpf.c')), [path.join(cdb, 'wrong')]);
    assert.deepEqual(compileCommandsIncludeDirs(path.join(cdb, 'src', 'unlisted.bpf.c')), []);
  });

  it('reads a compile_commands.json and a .clangd once for many files given one cache, with the same answers', () => {
    write(
      'many/compile_commands.json',
      JSON.stringify([
        { directory: '.', file: 'a.bpf.c', arguments: ['clang', '-Ifirst', '-c', 'a.bpf.c'] },
        { directory: 'sub', file: '../a.bpf.c', arguments: ['clang', '-Isecond', '-c', '../a.bpf.c'] },
        { directory: '.', file: 'b.bpf.c', command: 'clang -iquote q -c b.bpf.c' },
      ]),
    );
    write('many/.clangd', 'CompileFlags:\n  Add: [-Iclangd]\n');
    const dir = path.join(tmp, 'many');
    const cache = new BuildFlagsCache();
    const expected = {
      a: [path.join(dir, 'first'), path.join(dir, 'clangd')],
      b: [path.join(dir, 'q'), path.join(dir, 'clangd')],
      c: [path.join(dir, 'clangd')],
    };
    for (const f of ['a', 'b', 'c'] as const) {
      assert.deepEqual(buildIncludeDirs(path.join(dir, `${f}.bpf.c`)), expected[f], f);
      assert.deepEqual(buildIncludeDirs(path.join(dir, `${f}.bpf.c`), cache), expected[f], f);
    }
    // Read once: the cache answers as the files said when first read; a call without one reads them again.
    write('many/compile_commands.json', '[]');
    write('many/.clangd', 'CompileFlags:\n  Add: [-Iother]\n');
    assert.deepEqual(buildIncludeDirs(path.join(dir, 'b.bpf.c'), cache), expected.b);
    assert.deepEqual(buildIncludeDirs(path.join(dir, 'b.bpf.c')), [path.join(dir, 'other')]);
  });

  it("takes .clangd's CompileFlags Add, in the list and the block form", () => {
    write('clangd1/.clangd', 'CompileFlags:\n  Add: [-I../inc, "-iquote", local, -DX]\n');
    assert.deepEqual(clangdIncludeDirs(path.join(tmp, 'clangd1/src/a.c')), [path.join(tmp, 'inc'), path.join(tmp, 'clangd1/local')]);
    write('clangd2/.clangd', 'CompileFlags:\n  Add:\n    - -Iinclude\n    - -Wall\n');
    assert.deepEqual(clangdIncludeDirs(path.join(tmp, 'clangd2/a.c')), [path.join(tmp, 'clangd2/include')]);
  });
});

describe('the analysis with local headers', () => {
  it('takes the licence from a header: no finding', () => {
    const headers = [{ path: 'shared.h', via: 'shared.h', text: 'char LICENSE[] SEC("license") = "Dual BSD/GPL";\n' }];
    assert.deepEqual(analyse(`#include "shared.h"\n${PROGRAM}`, { headers, unread: [] }), []);
  });

  it('says the licence could not be checked (information, not an error) when a header is unread', () => {
    const text = `#include "vmlinux.h"\n#include "shared.h"\n${PROGRAM}`;
    for (const includes of [undefined, { headers: [], unread: [{ name: 'shared.h', reason: 'no such file in src', via: 'shared.h' }] }]) {
      const findings = analyse(text, includes);
      assert.deepEqual(
        findings.map((f) => [f.code, f.severity, f.range.start.line, f.range.start.character, f.range.end.character]),
        [['license', 'information', 1, 0, 19]],
      );
    }
  });

  it('still reports a missing licence when every local header was read', () => {
    const headers = [{ path: 'defs.h', via: 'defs.h', text: '#define X 1\n' }];
    const findings = analyse(`#include "defs.h"\n${PROGRAM}`, { headers, unread: [] });
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity]),
      [['license', 'error']],
    );
  });

  it('reports a header with a licence the kernel refuses at its include line', () => {
    const headers = [{ path: 'inc/lic.h', via: 'outer.h', text: 'char L[] SEC("license") = "MIT";\n' }];
    const findings = analyse(`#include "outer.h"\n${PROGRAM}`, { headers, unread: [] });
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity, f.range.start.line]),
      [['license', 'error', 0]],
    );
    assert.match(findings[0].message, /^Licence "MIT" \(in inc\/lic\.h\) is not GPL-compatible/);
  });

  it("finds programs through a header's section macro, and evaluates its #defines; the file's own win", () => {
    const headers = [
      {
        path: 'm.h',
        via: 'm.h',
        text: '#define HOOK(h) SEC("lsm/" #h)\n#define ERR EPERM\n#define OK_ERR 1\nchar L[] SEC("license") = "GPL";\n',
      },
    ];
    const text = `#include "m.h"\n#define OK_ERR (-1)\nHOOK(file_open)\nint BPF_PROG(p, struct file *file, int ret)\n{\n\tif (ret)\n\t\treturn ret;\n\tif (file)\n\t\treturn OK_ERR;\n\treturn ERR;\n}\n`;
    const findings = analyse(text, { headers, unread: [] });
    assert.deepEqual(
      findings.map((f) => [f.code, f.range.start.line + 1]),
      [['return-out-of-range', 10]],
    );
  });
});

describe('the include fixtures, as the linter reads them', () => {
  for (const file of ['local/licensed.bpf.c', 'local/missing-header.bpf.c', 'local/proprietary.bpf.c']) {
    it(file, () => {
      const full = path.join(FIXTURES, 'includes', file);
      const text = fs.readFileSync(full, 'utf8');
      const { headers, unread } = readIncludes(full, text, { dirs: [] });
      const found = analyzer
        .analyze(text, catalog.target({}).target, catalog, { includes: { headers, unread } })
        .findings.map((f) => ({ line: f.range.start.line + 1, code: f.code }));
      assert.deepEqual(formatExpectations(found), formatExpectations(expectedFindings(text)));
    });
  }
});

describe('readIncludes: names no file has, and the size limits', () => {
  it('says why each header was not read, keeps what fits, and lists where a missing one was looked for', () => {
    const MiB = 1024 * 1024;
    const files = new Map<string, string>([
      ['/p/big.h', 'x'.repeat(MiB + 1)],
      ['/p/limit.h', 'x'.repeat(MiB)],
      ['/p/a.h', 'y'.repeat(MiB)],
      ['/p/b.h', 'y'.repeat(MiB)],
      ['/p/c.h', 'y'.repeat(MiB - 12)],
      ['/p/e.h', 'y'.repeat(MiB / 2)],
      ['/p/ok.h', '#define X 1\n'],
    ]);
    const names = [
      ' ',
      'a\0b',
      'n'.repeat(1025),
      'm'.repeat(1024),
      'big.h',
      'limit.h',
      'a.h',
      'b.h',
      'c.h',
      'e.h',
      'ok.h',
      'missing.h',
      'vmlinux.h',
      '/abs/missing.h',
    ];
    const text = names.map((n) => `#include "${n}"`).join('\n') + '\n';
    const r = readIncludes('/p/prog.bpf.c', text, { dirs: ['/inc'], openText: (f) => files.get(f) });
    assert.deepEqual(
      r.headers.map((h) => [h.path, h.text.length]),
      [
        ['limit.h', MiB],
        ['a.h', MiB],
        ['b.h', MiB],
        ['c.h', MiB - 12],
        // e.h (half a MiB) would pass the 4 MiB total; ok.h still fits after it was refused, to the byte.
        ['ok.h', 12],
      ],
    );
    const notFound = 'not found beside this file or in the include paths';
    assert.deepEqual(
      r.unread.map((u) => [u.name.length > 20 ? `${u.name.length} characters` : u.name, u.reason]),
      [
        [' ', 'an empty name'],
        ['a\0b', 'a name with a control character'],
        // The name is shown cut to 80 characters.
        ['80 characters', `a name over ${INCLUDE_LIMITS.nameLength} characters`],
        // 1024 characters is not too long a name: it is looked for.
        ['1024 characters', notFound],
        ['big.h', 'over the 1 MiB limit for a header'],
        ['e.h', 'over the 4 MiB limit on the headers of one file'],
        ['missing.h', notFound],
        ['/abs/missing.h', notFound],
      ],
    );
    assert.equal(INCLUDE_LIMITS.nameLength, 1024);
    assert.deepEqual(
      r.dependencies.filter((d) => d.includes('missing')),
      ['/p/missing.h', '/inc/missing.h', '/abs/missing.h'],
    );
    // A library header (vmlinux.h) is never looked for, and is no finding.
    assert.ok(!r.dependencies.some((d) => d.endsWith('vmlinux.h')));
    assert.ok(!r.unread.some((u) => u.name === 'vmlinux.h'));
  });

  it('without include paths says so; a name with no file in a folder that is a file is not found', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'include-reader-'));
    try {
      fs.writeFileSync(path.join(dir, 'plain'), '');
      const r = readIncludes(path.join(dir, 'p.c'), '#include "plain/x.h"\n#include "gone.h"\n', { dirs: [] });
      assert.deepEqual(
        r.unread.map((u) => [u.name, u.reason]),
        [
          ['plain/x.h', 'not found beside this file, and no include paths are set'],
          ['gone.h', 'not found beside this file, and no include paths are set'],
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the licence check, in words', () => {
  const GPL_LIST = '"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"';

  it('names the unread header, how many more there are, and what to do', () => {
    const unread = ['shared.h', 'a.h', 'b.h'].map((name) => ({ name, reason: 'no such file in src', via: name }));
    const text = `#include "shared.h"\n#include "a.h"\n#include "b.h"\n${PROGRAM}`;
    const [finding] = analyse(text, { headers: [], unread });
    assert.equal(
      finding.message,
      'The licence could not be checked: this file has no SEC("license"), and "shared.h" could not be read (no such file in src) (and 2 more header(s)). ' +
        'Add the include directory with -I, includePaths in bpf-lsm.config.json or compile_commands.json, or put ' +
        'char LICENSE[] SEC("license") = "GPL"; in this file.',
    );
  });

  it("a header's licence the kernel refuses: the licences it takes, in full", () => {
    const headers = [{ path: 'inc/lic.h', via: 'outer.h', text: 'char L[] SEC("license") = "MIT";\n' }];
    const [finding] = analyse(`#include "outer.h"\n${PROGRAM}`, { headers, unread: [] });
    assert.equal(
      finding.message,
      `Licence "MIT" (in inc/lic.h) is not GPL-compatible: the kernel refuses to load LSM programs with it. Use one of ${GPL_LIST}.`,
    );
  });

  it("a file's own licence: the nearest one the kernel takes is the fix", () => {
    for (const [value, replacement] of [
      ['BSD', 'Dual BSD/GPL'],
      ['bsd-3-clause', 'Dual BSD/GPL'],
      ['MIT', 'Dual MIT/GPL'],
      ['Proprietary', 'GPL'],
    ]) {
      const [finding] = analyse(`${PROGRAM}char LICENSE[] SEC("license") = "${value}";\n`);
      assert.equal(
        finding.message,
        `Licence "${value}" is not GPL-compatible: the kernel refuses to load LSM programs with it. Use one of ${GPL_LIST}.`,
      );
      assert.deepEqual(
        finding.fixes?.map((f) => [f.title, f.edits.map((e) => e.newText)]),
        [[`Use "${replacement}"`, [`"${replacement}"`]]],
      );
    }
  });

  it('no licence: the one added starts on a line of its own, after a blank line', () => {
    const added = (text: string) => analyse(text)[0].fixes![0].edits[0].newText;
    assert.equal(added(PROGRAM), '\nchar LICENSE[] SEC("license") = "GPL";\n');
    assert.equal(added(PROGRAM.trimEnd()), '\n\nchar LICENSE[] SEC("license") = "GPL";\n');
    assert.equal(added(PROGRAM.replace(/\n/g, '\r\n')), '\r\nchar LICENSE[] SEC("license") = "GPL";\r\n');
  });
});
