// The BTF reader on crafted BTF: each kind a hook's prototype can hold, written as C, and each way a BTF can
// be broken, refused with the message a user sees (bpf-lsm-lint --btf, the editor's target notice).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BtfError, Kind, parseBtf, renderType, TypeRenderer } from '../../server/src/btf/btfReader';
import { BtfWriter, K } from '../helpers/btfWriter';

/** The BtfError `f` throws, by its message (another error, or none, fails). */
function btfError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BtfError, `not a BtfError: ${(e as Error).stack}`);
    return e.message;
  }
  assert.fail('no error');
}

describe('BTF reader: each kind written as C', () => {
  const w = new BtfWriter();
  const int = w.int('int'); // 1
  const t = {
    ulong: w.int('long unsigned int'),
    llong: w.int('long long int'),
    ullong: w.int('long long unsigned int'),
    long: w.int('long int'),
    short: w.int('short int'),
    ushort: w.int('short unsigned int'),
    bool: w.int('_Bool'),
    char: w.int('char'),
    double: w.type(K.Float, w.str('double'), 0, 8),
    u32: w.type(K.Typedef, w.str('u32'), 0, int),
    cred: w.struct('cred'),
    sockaddr: w.struct('sockaddr_u', K.Union),
    mode: w.type(K.Enum, w.str('mode'), 0, 4),
    wide: w.type(K.Enum64, w.str('wide'), 0, 8),
    fwdStruct: w.type(K.Fwd, w.str('later'), 0, 0),
    fwdUnion: w.type(K.Fwd, w.str('later_u'), 0, 0, [], true),
  };
  const constCred = w.type(K.Const, 0, 0, t.cred);
  const charPtr = w.ptr(t.char);
  const voidPtr = w.ptr(0);
  const fnProto = w.proto(int, [['', voidPtr]]);
  const more = {
    constCredPtr: w.ptr(constCred),
    charPtrConst: w.type(K.Const, 0, 0, charPtr),
    volatileInt: w.type(K.Volatile, 0, 0, int),
    restrictCharPtr: w.type(K.Restrict, 0, 0, charPtr),
    userFilePtr: w.ptr(w.type(K.TypeTag, w.str('user'), 0, w.struct('file'))),
    intArray: w.type(K.Array, 0, 0, 0, [int, int, 16]),
    charPtrPtr: w.ptr(charPtr),
    voidPtr,
    fnPtr: w.ptr(fnProto),
    noParamsPtr: w.ptr(w.proto(int, [])),
    variadicPtr: w.ptr(
      w.proto(t.ulong, [
        ['fmt', charPtr],
        ['', 0],
      ]),
    ),
    fnProto,
    func: w.func('bpf_lsm_file_open', fnProto),
    namelessVar: w.type(K.Var, 0, 0, int, [0]),
  };
  const btf = parseBtf(w.bytes());
  const render = (id: number, name = '') => renderType(btf, id, name);

  it('spells integers as C does, and names the named kinds', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(t).map(([k, id]) => [k, render(id, 'x')])), {
      ulong: 'unsigned long x',
      llong: 'long long x',
      ullong: 'unsigned long long x',
      long: 'long x',
      short: 'short x',
      ushort: 'unsigned short x',
      bool: 'bool x',
      char: 'char x',
      double: 'double x',
      u32: 'u32 x',
      cred: 'struct cred x',
      sockaddr: 'union sockaddr_u x',
      mode: 'enum mode x',
      wide: 'enum wide x',
      fwdStruct: 'struct later x',
      fwdUnion: 'union later_u x',
    });
    assert.equal(render(0), 'void');
    assert.equal(render(int), 'int');
  });

  it('writes pointers, qualifiers, arrays and prototypes around the declarator', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(more).map(([k, id]) => [k, render(id, 'p')])), {
      constCredPtr: 'const struct cred *p',
      charPtrConst: 'char *const p',
      volatileInt: 'volatile int p',
      restrictCharPtr: 'char *restrict p',
      userFilePtr: 'struct file *p',
      intArray: 'int p[16]',
      charPtrPtr: 'char **p',
      voidPtr: 'void *p',
      fnPtr: 'int (*p)(void *)',
      noParamsPtr: 'int (*p)(void)',
      variadicPtr: 'unsigned long (*p)(char *, ...)',
      fnProto: 'int (p)(void *)',
      func: 'bpf_lsm_file_open p',
      namelessVar: '<kind 14> p',
    });
    assert.equal(render(more.constCredPtr), 'const struct cred *');
    assert.equal(render(more.charPtrConst), 'char *const');
    assert.equal(render(more.fnPtr), 'int (*)(void *)');
    assert.equal(render(more.namelessVar), '<kind 14>');
    assert.equal(render(more.func), 'bpf_lsm_file_open');
  });

  it('answers what the hook table reads: kinds, references, names, parameters', () => {
    assert.equal(btf.count, more.namelessVar + 1);
    assert.equal(btf.kind(t.fwdUnion), Kind.Fwd);
    assert.equal(btf.kindFlag(t.fwdUnion), true);
    assert.equal(btf.kindFlag(t.fwdStruct), false);
    assert.equal(btf.ref(t.u32), int);
    assert.equal(btf.ref(t.double), 8);
    assert.equal(btf.name(0), 'void');
    assert.equal(btf.name(more.func), 'bpf_lsm_file_open');
    assert.equal(btf.name(constCred), '');
    assert.equal(btf.nameStartsWith(more.func, 'bpf_lsm_'), true);
    assert.equal(btf.nameStartsWith(more.func, 'bpf_lsm_file_open'), true);
    assert.equal(btf.nameStartsWith(more.func, 'bpf_lsm_file_opens'), false);
    assert.equal(btf.nameStartsWith(t.cred, 'bpf_lsm_'), false);
    assert.deepEqual(btf.params(more.variadicPtr - 1), [
      { name: 'fmt', type: charPtr },
      { name: '', type: 0 },
    ]);
    assert.deepEqual(btf.array(more.intArray), { type: int, length: 16 });
    assert.equal(
      btfError(() => btf.params(int)),
      'type 1 is not a function prototype',
    );
  });

  it('a name runs to its NUL and no further, up to 4096 bytes', () => {
    const v = new BtfWriter();
    v.int('a'.repeat(4096));
    v.int('b');
    const long = parseBtf(v.bytes());
    assert.equal(long.name(1), 'a'.repeat(4096));
    assert.equal(long.name(2), 'b');
    // The last name of the section, checked byte by byte against a prefix that runs past its end.
    assert.equal(long.nameStartsWith(2, 'bc'), false);
    assert.equal(long.nameStartsWith(2, 'b'), true);
  });

  it('reads big-endian BTF (a big-endian kernel) as the same types', () => {
    const be = new BtfWriter(false);
    const i = be.int('int');
    be.func('bpf_lsm_bprm_check_security', be.proto(i, [['bprm', be.ptr(be.struct('linux_binprm'))]]));
    const parsed = parseBtf(be.bytes());
    assert.equal(parsed.count, 6);
    assert.equal(renderType(parsed, 4, 'f'), 'int (f)(struct linux_binprm *)');
    assert.deepEqual(parsed.params(4), [{ name: 'bprm', type: 3 }]);
  });
});

describe('BTF reader: broken BTF is refused, saying how', () => {
  /** One int and a pointer to it: 24 + 16 + 12 bytes of types + "\0int\0". */
  const small = () => {
    const w = new BtfWriter();
    w.ptr(w.int('int'));
    return w.bytes();
  };

  it('refuses what is not BTF, or of another version', () => {
    assert.equal(
      btfError(() => parseBtf(new Uint8Array(23))),
      'not BTF: 23 bytes is shorter than the BTF header',
    );
    assert.equal(
      btfError(() => parseBtf(Buffer.alloc(24, 0x41))),
      'not BTF: magic 0x4141, expected 0xeb9f',
    );
    assert.equal(
      btfError(() => parseBtf(Buffer.alloc(24))),
      'not BTF: magic 0x0000, expected 0xeb9f',
    );
    const v2 = small();
    v2[2] = 2;
    assert.equal(
      btfError(() => parseBtf(v2)),
      'unsupported BTF version 2',
    );
  });

  it('refuses sections past the end of the data, and a header shorter than 24 bytes', () => {
    const data = small();
    assert.equal(data.length, 57);
    assert.equal(
      btfError(() => parseBtf(data.subarray(0, 56))),
      'truncated BTF: its sections end at byte 57 but the data has 56 bytes',
    );
    const shortHeader = Buffer.from(data);
    shortHeader.writeUInt32LE(20, 4);
    assert.equal(
      btfError(() => parseBtf(shortHeader)),
      'truncated BTF: its sections end at byte 53 but the data has 57 bytes',
    );
    // The type section past the end while the string section fits.
    const longTypes = Buffer.from(data);
    longTypes.writeUInt32LE(40, 12);
    assert.equal(
      btfError(() => parseBtf(longTypes)),
      'truncated BTF: its sections end at byte 64 but the data has 57 bytes',
    );
  });

  it('refuses a string section that is empty or does not end with NUL', () => {
    const empty = small();
    empty.writeUInt32LE(0, 20);
    assert.equal(
      btfError(() => parseBtf(empty)),
      'corrupt BTF: the string section does not end with a NUL byte',
    );
    const unterminated = small();
    unterminated[56] = 0x41;
    assert.equal(
      btfError(() => parseBtf(unterminated)),
      'corrupt BTF: the string section does not end with a NUL byte',
    );
  });

  it('refuses a type that runs past the type section', () => {
    const headerCut = small();
    headerCut.writeUInt32LE(20, 12); // the int (16 bytes) whole, the pointer's header cut after 4
    assert.equal(
      btfError(() => parseBtf(headerCut)),
      'truncated BTF: type 2 header runs past the type section',
    );
    const bodyCut = small();
    bodyCut.writeUInt32LE(12, 12); // the int's header, without its 4-byte encoding
    assert.equal(
      btfError(() => parseBtf(bodyCut)),
      'truncated BTF: type 1 runs past the type section',
    );
    const exact = small();
    exact.writeUInt32LE(16, 12); // the int alone: fine
    assert.equal(parseBtf(exact).count, 2);
  });

  it('refuses an unknown kind and a name outside the string section', () => {
    for (const kind of [0, 20, 31]) {
      const w = new BtfWriter();
      w.type(kind, 0, 0, 0);
      assert.equal(
        btfError(() => parseBtf(w.bytes())),
        `corrupt BTF: type 1 has unknown kind ${kind}`,
      );
    }
    const w = new BtfWriter();
    w.int('int');
    w.type(K.Struct, 5, 0, 0); // the section is "\0int\0": 5 bytes
    assert.equal(
      btfError(() => parseBtf(w.bytes())),
      'corrupt BTF: type 2 names string 5, outside the 5-byte string section',
    );
    const lastByte = new BtfWriter();
    lastByte.int('int');
    lastByte.type(K.Struct, 4, 0, 0);
    assert.equal(parseBtf(lastByte.bytes()).name(2), '');
  });

  it('refuses a parameter named outside the string section, a reference past the last type', () => {
    const w = new BtfWriter();
    const int = w.int('int');
    w.type(K.FuncProto, 0, 1, int, [99, int]);
    w.ptr(7);
    const btf = parseBtf(w.bytes());
    assert.equal(
      btfError(() => btf.params(2)),
      'corrupt BTF: parameter name 99 outside the string section',
    );
    assert.equal(
      btfError(() => renderType(btf, 3)),
      'corrupt BTF: reference to type 7, past the last type 3',
    );
    assert.equal(
      btfError(() => btf.kind(4)),
      'corrupt BTF: reference to type 4, past the last type 3',
    );
    assert.equal(
      btfError(() => btf.name(-1)),
      'corrupt BTF: reference to type -1, past the last type 3',
    );
  });

  it('names the kind a type refers back through', () => {
    const cycles: [K, string][] = [
      [K.Const, 'CONST'],
      [K.Volatile, 'VOLATILE'],
      [K.Restrict, 'RESTRICT'],
      [K.TypeTag, 'TYPE_TAG'],
      [K.Ptr, 'PTR'],
    ];
    for (const [kind, name] of cycles) {
      const w = new BtfWriter();
      w.type(kind, 0, 0, 1); // itself
      assert.equal(
        btfError(() => renderType(parseBtf(w.bytes()), 1)),
        `corrupt BTF: type 1 (${name}) refers back to itself`,
      );
    }
    const array = new BtfWriter();
    array.type(K.Array, 0, 0, 0, [1, 1, 4]);
    assert.equal(
      btfError(() => renderType(parseBtf(array.bytes()), 1)),
      'corrupt BTF: type 1 (ARRAY) refers back to itself',
    );
    const proto = new BtfWriter();
    proto.type(K.FuncProto, 0, 0, 1); // returns itself
    assert.equal(
      btfError(() => renderType(parseBtf(proto.bytes()), 1)),
      'corrupt BTF: type 1 (FUNC_PROTO) refers back to itself',
    );
  });

  it('stops past 32 levels of nesting and past its work limit', () => {
    const w = new BtfWriter();
    let id = w.int('int');
    for (let i = 0; i < 32; i++) id = w.ptr(id);
    const deep = parseBtf(w.bytes());
    assert.equal(renderType(deep, id), `int ${'*'.repeat(32)}`);
    const deeper = new BtfWriter();
    let top = deeper.int('int');
    for (let i = 0; i < 33; i++) top = deeper.ptr(top);
    assert.equal(
      btfError(() => renderType(parseBtf(deeper.bytes()), top)),
      'corrupt BTF: type 1 nests more than 32 levels deep',
    );
    // int: 1 visit + 3 characters; each pointer one visit.
    const renderer = new TypeRenderer(deep, 4 + 2);
    assert.equal(renderer.render(3), 'int **');
    assert.equal(
      btfError(() => renderer.render(2)),
      'corrupt BTF: its function prototypes are too large to render (over 6 types and characters)',
    );
    assert.equal(
      btfError(() => new TypeRenderer(deep, 6).render(4)),
      'corrupt BTF: its function prototypes are too large to render (over 6 types and characters)',
    );
  });
});
