// Reads the BPF Type Format (BTF) of a kernel (/sys/kernel/btf/vmlinux, or the same bytes from a target)
// without bpftool: header, type section, string section. A vmlinux BTF holds ~100k types, so types are
// indexed into typed arrays in one pass and names are decoded only when asked for.

export class BtfError extends Error {}

export const enum Kind {
  Unknown = 0, Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8,
  Volatile = 9, Const = 10, Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15, Float = 16,
  DeclTag = 17, TypeTag = 18, Enum64 = 19,
}

const MAX_KIND = Kind.Enum64;
const MAGIC = 0xeb9f;
const TYPE_HEADER = 12;

/** Extra bytes after the 12-byte header for each kind, given its vlen. */
function extraBytes(kind: Kind, vlen: number): number {
  switch (kind) {
    case Kind.Int: return 4;
    case Kind.Array: return 12;
    case Kind.Struct: case Kind.Union: return 12 * vlen;
    case Kind.Enum: return 8 * vlen;
    case Kind.FuncProto: return 8 * vlen;
    case Kind.Var: return 4;
    case Kind.Datasec: return 12 * vlen;
    case Kind.DeclTag: return 4;
    case Kind.Enum64: return 12 * vlen;
    default: return 0;
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

  constructor(private readonly data: Uint8Array, private readonly view: DataView, private readonly little: boolean,
    private readonly strStart: number, private readonly strLen: number, typeStart: number, typeLen: number) {
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
      if (nameOff >= strLen) throw new BtfError(`corrupt BTF: type ${id} names string ${nameOff}, outside the ${strLen}-byte string section`);
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
    return (this.infos[id] >>> 31) === 1;
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
      const limit = this.strStart + this.strLen;
      let end = start;
      while (end < limit && this.data[end] !== 0) end++;
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
  return new Btf(data, view, little, strStart, strLen, typeStart, typeLen);
}

/** BTF spells integers as the compiler names them; C code (and the kernel headers) spell them so. */
const INT_SPELLING: Record<string, string> = {
  'long unsigned int': 'unsigned long', 'long int': 'long', 'long long int': 'long long',
  'long long unsigned int': 'unsigned long long', 'short int': 'short', 'short unsigned int': 'unsigned short',
  _Bool: 'bool',
};

/** Renders a type (and an optional declarator name) as C: `const struct cred *old`, `u32 *secid`. */
export function renderType(btf: Btf, id: number, name = '', depth = 0): string {
  const withName = (s: string) => (name ? (s.endsWith('*') ? `${s}${name}` : `${s} ${name}`) : s);
  if (depth > 32) return withName('void');
  switch (btf.kind(id)) {
    case Kind.Unknown: return withName('void');
    case Kind.Int: return withName(INT_SPELLING[btf.name(id)] ?? btf.name(id));
    case Kind.Float: case Kind.Typedef: return withName(btf.name(id));
    case Kind.Struct: return withName(`struct ${btf.name(id)}`);
    case Kind.Union: return withName(`union ${btf.name(id)}`);
    case Kind.Enum: case Kind.Enum64: return withName(`enum ${btf.name(id)}`);
    case Kind.Fwd: return withName(`${btf.kindFlag(id) ? 'union' : 'struct'} ${btf.name(id)}`);
    case Kind.Const: return qualify(btf, btf.ref(id), 'const', name, depth);
    case Kind.Volatile: return qualify(btf, btf.ref(id), 'volatile', name, depth);
    case Kind.Restrict: return qualify(btf, btf.ref(id), 'restrict', name, depth);
    case Kind.TypeTag: return renderType(btf, btf.ref(id), name, depth + 1);
    case Kind.Ptr: {
      const target = btf.ref(id);
      if (btf.kind(target) === Kind.FuncProto) return renderFunctionPointer(btf, target, `*${name}`, depth);
      const inner = renderType(btf, target, '', depth + 1);
      return `${inner.endsWith('*') ? inner : `${inner} `}*${name}`;
    }
    case Kind.Array: {
      const a = btf.array(id);
      return `${renderType(btf, a.type, name, depth + 1)}[${a.length}]`;
    }
    case Kind.FuncProto: return renderFunctionPointer(btf, id, name, depth);
    default: return withName(btf.name(id) || `<kind ${btf.kind(id)}>`);
  }
}

/** `const` binds to what it follows: `const struct cred *` for a pointer to const, `char *const` otherwise. */
function qualify(btf: Btf, id: number, qualifier: string, name: string, depth: number): string {
  if (btf.kind(id) === Kind.Ptr) return `${renderType(btf, id, '', depth + 1)}${qualifier}${name ? ` ${name}` : ''}`;
  return `${qualifier} ${renderType(btf, id, name, depth + 1)}`;
}

function renderFunctionPointer(btf: Btf, proto: number, declarator: string, depth: number): string {
  const params = btf.params(proto).map((p) => (p.type === 0 ? '...' : renderType(btf, p.type, '', depth + 1)));
  return `${renderType(btf, btf.ref(proto), '', depth + 1)} (${declarator})(${params.join(', ') || 'void'})`;
}
