// Reads the BPF Type Format (BTF) of a kernel (/sys/kernel/btf/vmlinux, or the same bytes from a target)
// without bpftool: header, type section, string section. A vmlinux BTF holds ~100k types, so types are
// indexed into typed arrays in one pass and names are decoded only when asked for.

export class BtfError extends Error {}

export const enum Kind {
  Unknown = 0,
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}

const MAX_KIND = Kind.Enum64;
const MAX_NAME_BYTES = 4096;
const MAGIC = 0xeb9f;
const TYPE_HEADER = 12;

/** Extra bytes after the 12-byte header for each kind, given its vlen. */
function extraBytes(kind: Kind, vlen: number): number {
  switch (kind) {
    case Kind.Int:
      return 4;
    case Kind.Array:
      return 12;
    case Kind.Struct:
    case Kind.Union:
      return 12 * vlen;
    case Kind.Enum:
      return 8 * vlen;
    case Kind.FuncProto:
      return 8 * vlen;
    case Kind.Var:
      return 4;
    case Kind.Datasec:
      return 12 * vlen;
    case Kind.DeclTag:
      return 4;
    case Kind.Enum64:
      return 12 * vlen;
    default:
      return 0;
  }
}

export class Btf {
  /** Number of types, counting void (id 0). */
  readonly count: number;
  private readonly kinds: Uint8Array;
  private readonly infos: Uint32Array;
  private readonly sizeOrTypes: Uint32Array;
  private readonly nameOffs: Uint32Array;
  private readonly bodies: Uint32Array;
  private readonly names = new Map<number, string>();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly data: Uint8Array,
    private readonly view: DataView,
    private readonly little: boolean,
    private readonly strStart: number,
    private readonly strLen: number,
    typeStart: number,
    typeLen: number,
  ) {
    // Upper bound on the number of types: each takes at least 12 bytes.
    const cap = Math.floor(typeLen / TYPE_HEADER) + 1;
    this.kinds = new Uint8Array(cap);
    this.infos = new Uint32Array(cap);
    this.sizeOrTypes = new Uint32Array(cap);
    this.nameOffs = new Uint32Array(cap);
    this.bodies = new Uint32Array(cap);
    let id = 1;
    let p = typeStart;
    const end = typeStart + typeLen;
    while (p < end) {
      if (p + TYPE_HEADER > end) throw new BtfError(`truncated BTF: type ${id} header runs past the type section`);
      const info = view.getUint32(p + 4, little);
      const kind = (info >>> 24) & 0x1f;
      if (kind === Kind.Unknown || kind > MAX_KIND) throw new BtfError(`corrupt BTF: type ${id} has unknown kind ${kind}`);
      const body = p + TYPE_HEADER;
      const next = body + extraBytes(kind, info & 0xffff);
      if (next > end) throw new BtfError(`truncated BTF: type ${id} runs past the type section`);
      const nameOff = view.getUint32(p, little);
      if (nameOff >= strLen)
        throw new BtfError(`corrupt BTF: type ${id} names string ${nameOff}, outside the ${strLen}-byte string section`);
      this.kinds[id] = kind;
      this.infos[id] = info;
      this.sizeOrTypes[id] = view.getUint32(p + 8, little);
      this.nameOffs[id] = nameOff;
      this.bodies[id] = body;
      id++;
      p = next;
    }
    this.count = id;
  }

  kind(id: number): Kind {
    this.check(id);
    return this.kinds[id] as Kind;
  }

  /** The referenced type (PTR, TYPEDEF, CONST, FUNC...) or the size (INT, STRUCT...). */
  ref(id: number): number {
    this.check(id);
    return this.sizeOrTypes[id];
  }

  kindFlag(id: number): boolean {
    return this.infos[id] >>> 31 === 1;
  }

  name(id: number): string {
    this.check(id);
    if (id === 0) return 'void';
    return this.string(this.nameOffs[id]);
  }

  /** Does the type's name start with `prefix` (ASCII)? Compares bytes, decoding nothing. */
  nameStartsWith(id: number, prefix: string): boolean {
    const start = this.strStart + this.nameOffs[id];
    if (start + prefix.length > this.strStart + this.strLen) return false;
    for (let i = 0; i < prefix.length; i++) if (this.data[start + i] !== prefix.charCodeAt(i)) return false;
    return true;
  }

  params(id: number): { name: string; type: number }[] {
    if (this.kind(id) !== Kind.FuncProto) throw new BtfError(`type ${id} is not a function prototype`);
    const out = [];
    const body = this.bodies[id];
    for (let i = 0; i < (this.infos[id] & 0xffff); i++) {
      const n = this.view.getUint32(body + 8 * i, this.little);
      if (n >= this.strLen) throw new BtfError(`corrupt BTF: parameter name ${n} outside the string section`);
      out.push({ name: n ? this.string(n) : '', type: this.view.getUint32(body + 8 * i + 4, this.little) });
    }
    return out;
  }

  array(id: number): { type: number; length: number } {
    const body = this.bodies[id];
    return { type: this.view.getUint32(body, this.little), length: this.view.getUint32(body + 8, this.little) };
  }

  private string(off: number): string {
    let s = this.names.get(off);
    if (s === undefined) {
      const start = this.strStart + off;
      // Names are C identifiers (the kernel caps symbols at 512 bytes); scanning further is for nothing.
      const limit = Math.min(this.strStart + this.strLen, start + MAX_NAME_BYTES + 1);
      let end = start;
      while (end < limit && this.data[end] !== 0) end++;
      if (end - start > MAX_NAME_BYTES)
        throw new BtfError(`corrupt BTF: the name at string offset ${off} is longer than ${MAX_NAME_BYTES} bytes`);
      s = this.decoder.decode(this.data.subarray(start, end));
      this.names.set(off, s);
    }
    return s;
  }

  private check(id: number): void {
    if (!(id >= 0 && id < this.count)) throw new BtfError(`corrupt BTF: reference to type ${id}, past the last type ${this.count - 1}`);
  }
}

export function parseBtf(data: Uint8Array): Btf {
  if (data.byteLength < 24) throw new BtfError(`not BTF: ${data.byteLength} bytes is shorter than the BTF header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let little = true;
  const magic = view.getUint16(0, true);
  if (magic !== MAGIC) {
    if (view.getUint16(0, false) === MAGIC) little = false;
    else throw new BtfError(`not BTF: magic 0x${magic.toString(16).padStart(4, '0')}, expected 0xeb9f`);
  }
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`);
  const hdrLen = view.getUint32(4, little);
  const typeStart = hdrLen + view.getUint32(8, little);
  const typeLen = view.getUint32(12, little);
  const strStart = hdrLen + view.getUint32(16, little);
  const strLen = view.getUint32(20, little);
  const sectionsEnd = Math.max(typeStart + typeLen, strStart + strLen);
  if (hdrLen < 24 || sectionsEnd > data.byteLength) {
    throw new BtfError(`truncated BTF: its sections end at byte ${sectionsEnd} but the data has ${data.byteLength} bytes`);
  }
  if (strLen === 0 || data[strStart + strLen - 1] !== 0) throw new BtfError('corrupt BTF: the string section does not end with a NUL byte');
  return new Btf(data, view, little, strStart, strLen, typeStart, typeLen);
}

/** BTF spells integers as the compiler names them; C code (and the kernel headers) spell them so. */
const INT_SPELLING = new Map([
  ['long unsigned int', 'unsigned long'],
  ['long int', 'long'],
  ['long long int', 'long long'],
  ['long long unsigned int', 'unsigned long long'],
  ['short int', 'short'],
  ['short unsigned int', 'unsigned short'],
  ['_Bool', 'bool'],
]);

/** Pointers, qualifiers and prototypes nest this deep at most in real prototypes (a few levels). */
const MAX_RENDER_DEPTH = 32;
/**
 * Types visited plus characters of names used, over all the prototypes one renderer renders. A kernel's
 * ~280 bpf_lsm_ functions take under 10,000; a crafted BTF whose types share parts (a prototype whose parameters
 * are pointers to prototypes with many parameters...) would otherwise render exponentially large text.
 */
export const MAX_RENDER_WORK = 2_000_000;

/**
 * Renders types as C: `const struct cred *old`, `u32 *secid`, `int (*)(void *)`. Throws BtfError for a
 * type that refers back to itself (impossible in C: only corrupt BTF has it) or that is too large to
 * write out. Keep one renderer per table: its work limit spans everything it renders.
 */
export class TypeRenderer {
  private work = 0;
  /** Types being rendered, outermost first: a type met again on this path is a cycle. */
  private readonly path = new Set<number>();

  constructor(
    private readonly btf: Btf,
    private readonly maxWork = MAX_RENDER_WORK,
  ) {}

  render(id: number, name = ''): string {
    return this.type(id, name, 0);
  }

  /** Counts a visit and the characters of a name written; throws past the limit. */
  private spend(chars: number): void {
    this.work += 1 + chars;
    if (this.work > this.maxWork) {
      throw new BtfError(`corrupt BTF: its function prototypes are too large to render (over ${this.maxWork} types and characters)`);
    }
  }

  private type(id: number, name: string, depth: number): string {
    const btf = this.btf;
    const withName = (s: string) => (name ? (s.endsWith('*') ? `${s}${name}` : `${s} ${name}`) : s);
    if (depth > MAX_RENDER_DEPTH) throw new BtfError(`corrupt BTF: type ${id} nests more than ${MAX_RENDER_DEPTH} levels deep`);
    const kind = btf.kind(id);
    const label = (prefix: string) => {
      const n = btf.name(id);
      this.spend(prefix.length + n.length + name.length);
      return `${prefix}${n}`;
    };
    switch (kind) {
      case Kind.Unknown:
        this.spend(4);
        return withName('void');
      case Kind.Int: {
        const n = label('');
        return withName(INT_SPELLING.get(n) ?? n);
      }
      case Kind.Float:
      case Kind.Typedef:
        return withName(label(''));
      case Kind.Struct:
        return withName(label('struct '));
      case Kind.Union:
        return withName(label('union '));
      case Kind.Enum:
      case Kind.Enum64:
        return withName(label('enum '));
      case Kind.Fwd:
        return withName(label(btf.kindFlag(id) ? 'union ' : 'struct '));
      default:
        break;
    }
    this.spend(name.length);
    return this.within(id, () => this.composite(id, kind, name, depth));
  }

  /** Renders a type made of others with the type on the path, so that meeting it again is caught. */
  private within(id: number, render: () => string): string {
    if (this.path.has(id)) throw new BtfError(`corrupt BTF: type ${id} (${kindName(this.btf.kind(id))}) refers back to itself`);
    this.path.add(id);
    try {
      return render();
    } finally {
      this.path.delete(id);
    }
  }

  /** Kinds made of other types: pointers, qualifiers, arrays, prototypes. */
  private composite(id: number, kind: Kind, name: string, depth: number): string {
    const btf = this.btf;
    switch (kind) {
      case Kind.Const:
        return this.qualify(btf.ref(id), 'const', name, depth);
      case Kind.Volatile:
        return this.qualify(btf.ref(id), 'volatile', name, depth);
      case Kind.Restrict:
        return this.qualify(btf.ref(id), 'restrict', name, depth);
      case Kind.TypeTag:
        return this.type(btf.ref(id), name, depth + 1);
      case Kind.Ptr: {
        const target = btf.ref(id);
        if (btf.kind(target) === Kind.FuncProto) return this.within(target, () => this.functionPointer(target, `*${name}`, depth + 1));
        const inner = this.type(target, '', depth + 1);
        return `${inner.endsWith('*') ? inner : `${inner} `}*${name}`;
      }
      case Kind.Array: {
        const a = btf.array(id);
        return `${this.type(a.type, name, depth + 1)}[${a.length}]`;
      }
      case Kind.FuncProto:
        return this.functionPointer(id, name, depth);
      default: {
        const n = btf.name(id);
        this.spend(n.length);
        return n ? (name ? `${n} ${name}` : n) : `<kind ${kind}>${name ? ` ${name}` : ''}`;
      }
    }
  }

  /** `const` binds to what it follows: `const struct cred *` for a pointer to const, `char *const` otherwise. */
  private qualify(id: number, qualifier: string, name: string, depth: number): string {
    if (this.btf.kind(id) === Kind.Ptr) return `${this.type(id, '', depth + 1)}${qualifier}${name ? ` ${name}` : ''}`;
    return `${qualifier} ${this.type(id, name, depth + 1)}`;
  }

  /** A prototype, already on the path, written around `declarator`: `int (*fn)(void *)`. */
  private functionPointer(proto: number, declarator: string, depth: number): string {
    const params = this.btf.params(proto).map((p) => (p.type === 0 ? '...' : this.type(p.type, '', depth + 1)));
    return `${this.type(this.btf.ref(proto), '', depth + 1)} (${declarator})(${params.join(', ') || 'void'})`;
  }
}

/** BTF's names of the kinds a type can refer back through (the others are leaves, named by name). */
const RECURSIVE_KIND_NAMES = new Map<Kind, string>([
  [Kind.Ptr, 'PTR'],
  [Kind.Array, 'ARRAY'],
  [Kind.Volatile, 'VOLATILE'],
  [Kind.Const, 'CONST'],
  [Kind.Restrict, 'RESTRICT'],
  [Kind.FuncProto, 'FUNC_PROTO'],
  [Kind.TypeTag, 'TYPE_TAG'],
]);

function kindName(kind: Kind): string {
  return RECURSIVE_KIND_NAMES.get(kind) ?? `kind ${kind}`;
}

/** Renders one type (and an optional declarator name) as C, with a renderer of its own. */
export function renderType(btf: Btf, id: number, name = ''): string {
  return new TypeRenderer(btf).render(id, name);
}
