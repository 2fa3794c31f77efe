// How a program's section is found (analysis/programs.ts): SEC("...") written out, split in literals, named
// through `#define NAME "..."`, or made by a section macro (`#define LSM(h) SEC("lsm/" #h)`); where the hook
// name stands and whether a fix may edit it; and the bounds on macros. Each program written out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Analyzer } from '../../server/src/analysis/analyze';
import { findPrograms, type LsmProgram } from '../../server/src/analysis/programs';
import { HookCatalog } from '../../server/src/hooks/catalog';
import { suiteParser } from '../helpers/parsedC';

/** A program's section, whether a fix may edit its hook, and the text its hook range covers. */
const sectionOf = (p: LsmProgram, text: string) => ({
  section: p.section,
  editable: p.hookEditable,
  hookText: text.slice(p.hookStart, p.hookEnd),
});

const PROG = 'int BPF_PROG(p, struct file *file, int ret) { return 0; }';

describe('section markers', () => {
  const { parse } = suiteParser();

  /** Each program: its section, whether its hook may be edited, and the text its hook range covers. */
  const programs = (text: string) => findPrograms(parse(text), text).programs.map((p) => sectionOf(p, text));

  it('SEC("...") split in literals: the section joined, the hook not edited in place', () => {
    assert.deepEqual(programs(`SEC("lsm/" "file_open") ${PROG}`), [
      { section: 'lsm/file_open', editable: false, hookText: '"lsm/" "file_open"' },
    ]);
    assert.deepEqual(programs(`SEC("lsm/" FILE_OPEN) ${PROG}`), [], 'a macro among the pieces: unknown');
  });

  it('SEC(NAME) through #define NAME "...", before the function or on its own line; only a whole string literal', () => {
    const expected = [{ section: 'lsm/file_open', editable: false, hookText: 'NAME' }];
    assert.deepEqual(programs(`#define NAME "lsm/file_open"\nSEC(NAME) ${PROG}`), expected);
    assert.deepEqual(programs(`#define NAME "lsm/file_open"\nSEC(NAME)\n${PROG}`), expected);
    assert.deepEqual(programs(`#define NAME "lsm/fi\\"le"\nSEC(NAME) ${PROG}`), [
      { section: 'lsm/fi"le', editable: false, hookText: 'NAME' },
    ]);
    assert.deepEqual(programs(`#define NAME x "lsm/file_open"\nSEC(NAME) ${PROG}`), []);
    assert.deepEqual(programs(`#define NAME "lsm/file_open" x\nSEC(NAME) ${PROG}`), []);
    assert.deepEqual(programs(`SEC(UNDEFINED) ${PROG}`), []);
    // Read as a call (an attribute's section, a licence's SEC): the same lookup.
    const attribute = '#define NAME "lsm/file_open"\nint __attribute__((section(NAME))) f(void *ctx) { return 0; }\n';
    assert.deepEqual(programs(attribute), expected);
    const licence = '#define LIC "license"\nchar _license[] SEC(LIC) = "GPL";\n';
    assert.deepEqual(
      findPrograms(parse(licence), licence).licenses.map((l) => l.value),
      ['GPL'],
    );
  });

  it('a section macro: the hook is the argument at the place of the hook name, edited there', () => {
    assert.deepEqual(programs(`#define LSM(h) SEC("lsm/" #h)\nLSM(file_open) ${PROG}`), [
      { section: 'lsm/file_open', editable: true, hookText: 'file_open' },
    ]);
    assert.deepEqual(programs(`#define LSM(h) SEC("lsm/" #h)\nLSM(file_open)\n${PROG}`), [
      { section: 'lsm/file_open', editable: true, hookText: 'file_open' },
    ]);
    assert.deepEqual(programs(`#define LSM( h ) SEC( "lsm.s/" # h )\nLSM(file_open) ${PROG}`), [
      { section: 'lsm.s/file_open', editable: true, hookText: 'file_open' },
    ]);
    assert.deepEqual(programs(`#define LSM2(kind, h) SEC(#kind "/" #h)\nLSM2(lsm_cgroup, socket_bind) ${PROG}`), [
      { section: 'lsm_cgroup/socket_bind', editable: true, hookText: 'socket_bind' },
    ]);
    // The argument joined to more text: the section is known, the hook is not one argument to edit, and
    // what is said about it points at the macro's use (it pointed at the file's first character).
    assert.deepEqual(programs(`#define P2(h) SEC("lsm/" "x" #h)\nP2(file_open) ${PROG}`), [
      { section: 'lsm/xfile_open', editable: false, hookText: 'P2(file_open)' },
    ]);
    assert.deepEqual(programs(`#define NOARGS() SEC("lsm/file_open")\nNOARGS() ${PROG}`), [
      { section: 'lsm/file_open', editable: false, hookText: 'NOARGS()' },
    ]);
    assert.deepEqual(programs(`#define LSM(h) SEC ("lsm/" #h)\nLSM(file_open) ${PROG}`), [
      { section: 'lsm/file_open', editable: true, hookText: 'file_open' },
    ]);
  });

  it('a macro use with the wrong number of arguments, or a body naming no parameter, makes no section', () => {
    assert.deepEqual(programs(`#define LSM(h) SEC("lsm/" #h)\nLSM(a, b) ${PROG}`), []);
    assert.deepEqual(programs(`#define BAD(h) SEC("lsm/" #x)\nBAD(file_open) ${PROG}`), []);
  });

  it('__attribute__((section("..."))) is a marker too', () => {
    assert.deepEqual(programs(`__attribute__((section("lsm/file_open"))) ${PROG}`), [
      { section: 'lsm/file_open', editable: true, hookText: 'file_open' },
    ]);
  });

  it('reads a section macro of up to 64 pieces making up to 1024 characters', () => {
    const empties = (n: number) => Array.from({ length: n }, () => '""').join(' ');
    assert.deepEqual(programs(`#define M(h) SEC(${empties(62)} "lsm/" #h)\nM(file_open) ${PROG}`), [
      { section: 'lsm/file_open', editable: true, hookText: 'file_open' },
    ]);
    assert.deepEqual(programs(`#define M(h) SEC(${empties(63)} "lsm/" #h)\nM(file_open) ${PROG}`), []);
    const hook = (n: number) => 'a'.repeat(n);
    assert.deepEqual(
      programs(`#define L(h) SEC("lsm/" #h)\nL(${hook(1020)}) ${PROG}`).map((p) => p.section.length),
      [1024],
    );
    assert.deepEqual(programs(`#define L(h) SEC("lsm/" #h)\nL(${hook(1021)}) ${PROG}`), []);
  });

  it('BPF_PROG2 pairs its type and name arguments into parameters; one left unpaired is dropped', () => {
    const text = 'SEC("lsm/file_open") int BPF_PROG2(p, struct file *, file, int, ret, long) { return 0; }';
    const [program] = findPrograms(parse(text), text).programs;
    assert.deepEqual(
      program.params.map((q) => [q.text, q.decl.name, text.slice(q.start, q.end)]),
      [
        ['struct file * file', 'file', 'struct file *, file'],
        ['int ret', 'ret', 'int, ret'],
      ],
    );
    assert.equal(program.name, 'p');
  });

  it('a plain function taking one pointer to u64, unsigned long long, unsigned long or void is a raw context', () => {
    const raw = (params: string) => {
      const text = `SEC("lsm/file_open") int plain(${params}) { return 0; }`;
      return findPrograms(parse(text), text).programs.map((p) => p.rawContext);
    };
    assert.deepEqual(
      ['unsigned long long *ctx', '__u64 *ctx', 'u64 *ctx', 'void *ctx', 'unsigned long *ctx'].map((p) => raw(p)),
      [[true], [true], [true], [true], [true]],
    );
    assert.deepEqual(
      ['u64 ctx', 'u64 **ctx', 'void *ctx, int x', 'struct file *file', 'u32 *ctx'].map((p) => raw(p)),
      [[false], [false], [false], [false], [false]],
    );
  });
});

describe('programs declared by a program macro (SEC and BPF_PROG in one #define)', () => {
  const { parse } = suiteParser();
  /** Each program: section, whether its hook may be edited and the text of its hook range, its name, macro and parameters. */
  const programs = (text: string) =>
    findPrograms(parse(text), text).programs.map((p) => ({
      ...sectionOf(p, text),
      name: p.name,
      macro: p.macro,
      via: p.viaMacro,
      params: p.params.map((q) => [q.text, text.slice(q.start, q.end)]),
    }));
  const LSM_PROG = '#define LSM_PROG(hook, name, args...) SEC("lsm/" #hook) int BPF_PROG(name, args)\n';
  const OPEN = {
    section: 'lsm/file_open',
    editable: true,
    hookText: 'file_open',
    name: 'my_open',
    macro: 'BPF_PROG',
    via: 'LSM_PROG',
    params: [
      ['struct file *file', 'struct file *file'],
      ['int ret', 'int ret'],
    ],
  };

  it('reads the hook, the name and the parameters from the use, written on one line or continued', () => {
    const use = 'LSM_PROG(file_open, my_open, struct file *file, int ret) { return 0; }';
    assert.deepEqual(programs(LSM_PROG + use), [OPEN]);
    assert.deepEqual(programs(`#define LSM_PROG(hook, name, args...) \\\n  SEC("lsm/" #hook) \\\n  int BPF_PROG(name, args)\n${use}`), [
      OPEN,
    ]);
    assert.deepEqual(programs(`#  define LSM_PROG(hook, name, args...)   SEC("lsm/" #hook)   int BPF_PROG(name, args)  \n${use}`), [OPEN]);
    assert.deepEqual(
      programs(
        '#define P(hook, name, ...) SEC("lsm.s/" #hook) int BPF_PROG(name, __VA_ARGS__)\nP(file_open, my_open, struct file *file, int ret) {}',
      ),
      [{ ...OPEN, section: 'lsm.s/file_open', via: 'P' }],
    );
  });

  it('splits the arguments at top-level commas only: not inside parentheses or strings', () => {
    assert.deepEqual(
      programs(LSM_PROG + 'LSM_PROG(file_open, n, struct file *file, int (*f)(int, int), int ret) {}').map((p) => p.params),
      [
        [
          ['struct file *file', 'struct file *file'],
          ['int (*f)(int, int)', 'int (*f)(int, int)'],
          ['int ret', 'int ret'],
        ],
      ],
    );
    const T = '#define T(h, name, msg, args...) SEC("lsm/" #h) int BPF_PROG(name, args)\n';
    // A string, a character literal (an escaped quote too), brackets and braces hold their commas.
    for (const msg of ['"x, (y"', "','", "'\\''", 'x[1, 2]', '(struct s){1, 2}']) {
      assert.deepEqual(
        programs(`${T}T(file_open, n, ${msg}, int ret) {}`).map((p) => p.params),
        [[['int ret', 'int ret']]],
        msg,
      );
    }
  });

  it('a use with one argument (a function to the parser): parameters written in the macro point at the use', () => {
    const text =
      '#define LSM_OPEN(name) SEC("lsm/file_open") int BPF_PROG(name, struct file *file, int ret)\n#ifdef X\nLSM_OPEN(on_open) { return 0; }\n#endif';
    assert.deepEqual(programs(text), [
      {
        section: 'lsm/file_open',
        editable: false,
        hookText: 'LSM_OPEN(on_open)',
        name: 'on_open',
        macro: 'BPF_PROG',
        via: 'LSM_OPEN',
        params: [
          ['struct file *file', 'LSM_OPEN(on_open)'],
          ['int ret', 'LSM_OPEN(on_open)'],
        ],
      },
    ]);
  });

  it('BPF_PROG2 through a macro pairs types and names; a hook joined to more text is not edited', () => {
    assert.deepEqual(
      programs(
        '#define P2(hook, name, args...) SEC("lsm/" #hook) int BPF_PROG2(name, args)\nP2(file_open, n, struct file *, file, int, ret) {}',
      ).map((p) => [p.macro, p.params]),
      [
        [
          'BPF_PROG2',
          [
            ['struct file * file', 'struct file *, file'],
            ['int ret', 'int, ret'],
          ],
        ],
      ],
    );
    assert.deepEqual(
      programs('#define PX(hook, name, args...) SEC("lsm/x" #hook) int BPF_PROG(name, args)\nPX(file_open, n, int ret) {}').map((p) => [
        p.section,
        p.editable,
        p.hookText,
      ]),
      [['lsm/xfile_open', false, 'PX(file_open, n, int ret)']],
    );
    assert.deepEqual(
      programs('#define R(hook, name) SEC("lsm/" #hook) static int BPF_PROG(name)\nR(file_open, n) {}').map((p) => [p.name, p.params]),
      [['n', []]],
    );
  });

  it('no program from a use with too few arguments, unbalanced ones, a macro with a bad parameter or naming no parameter', () => {
    assert.deepEqual(programs(LSM_PROG + 'LSM_PROG(file_open) { return 0; }'), []);
    assert.deepEqual(programs(LSM_PROG + 'LSM_PROG(file_open, n, struct file *file, int ret)) { return 0; }'), []);
    assert.deepEqual(programs('#define BAD(a b, c) SEC("lsm/" #c) int BPF_PROG(c, int ret)\nBAD(x y, file_open) { return 0; }'), []);
    assert.deepEqual(
      programs('#define Q(hook, name, args...) SEC("lsm/" #nope) int BPF_PROG(name, args)\nQ(file_open, n, int ret) {}'),
      [],
    );
    assert.deepEqual(programs('#define S(h, name) SEC("lsm/" #h) int BPF_PROG(name, int ret)\nS(file_open, "not a name") {}'), []);
  });
});

describe('what the checks say of a program whose section a macro makes', () => {
  const catalog = HookCatalog.bundled();
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await Analyzer.create();
  });
  after(() => analyzer.dispose());
  const findings = (text: string) =>
    analyzer
      .analyze(`${text}\nchar L[] SEC("license") = "GPL";\n`, catalog.target({ kernel: '6.12' }).target, catalog)
      .findings.map((f) => ({
        code: f.code,
        at: `${f.range.start.line + 1}:${f.range.start.character + 1}-${f.range.end.character + 1}`,
        fixes: (f.fixes ?? []).map((x) => x.title),
      }));

  it('a hook the macro joins to more text: the finding marks the whole use', () => {
    assert.deepEqual(
      findings('#define P2(h) SEC("lsm/" "x" #h)\nP2(file_open) int BPF_PROG(p, struct file *file, int ret) { return ret; }'),
      [{ code: 'unknown-hook', at: '2:1-14', fixes: [] }],
    );
  });

  it('not sleepable through a section macro: no fix edits the text before its argument', () => {
    assert.deepEqual(
      findings(
        '#define SLEEPABLE(hook) SEC("lsm.s/" #hook)\nSLEEPABLE(file_permission) int BPF_PROG(p, struct file *file, int mask, int ret) { return ret; }',
      ),
      [{ code: 'not-sleepable', at: '2:11-26', fixes: [] }],
    );
    assert.deepEqual(findings('SEC("lsm.s/file_permission") int BPF_PROG(p, struct file *file, int mask, int ret) { return ret; }'), [
      { code: 'not-sleepable', at: '1:12-27', fixes: ['Make the program non-sleepable (lsm/)'] },
    ]);
  });
});
