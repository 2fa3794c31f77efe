// A small BTF writer for crafted inputs: types get ids 1, 2... in the order they are added, as a kernel's
// BTF numbers them. Little-endian unless asked otherwise (a big-endian kernel's BTF is byte-swapped).

/** BTF kinds (include/uapi/linux/btf.h), written out here so the tests do not take the reader's own. */
export const enum K {
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

export class BtfWriter {
  private readonly types: number[][] = [];
  private strings = '\0';

  constructor(private readonly little = true) {}

  /** Offset of `s` in the string section (0, the empty string, for ''). */
  str(s: string): number {
    if (!s) return 0;
    const off = Buffer.byteLength(this.strings);
    this.strings += `${s}\0`;
    return off;
  }

  /** A type: its 12-byte header (name, info with kind, vlen and kind flag, size or type) and `extra` words. */
  type(kind: number, nameOff: number, vlen: number, sizeOrType: number, extra: number[] = [], kindFlag = false): number {
    this.types.push([nameOff, ((kindFlag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0, sizeOrType, ...extra]);
    return this.types.length;
  }

  int(name: string): number {
    return this.type(K.Int, this.str(name), 0, 4, [32]);
  }

  ptr(to: number): number {
    return this.type(K.Ptr, 0, 0, to);
  }

  /** A struct (or union) with no members: all a prototype's rendering needs of it. */
  struct(name: string, kind: K.Struct | K.Union = K.Struct): number {
    return this.type(kind, this.str(name), 0, 0);
  }

  proto(ret: number, params: [string, number][]): number {
    return this.type(
      K.FuncProto,
      0,
      params.length,
      ret,
      params.flatMap(([n, t]) => [this.str(n), t]),
    );
  }

  func(name: string, proto: number): number {
    return this.type(K.Func, this.str(name), 1, proto);
  }

  /** The whole BTF: a 24-byte header, the type section, the string section. */
  bytes(): Buffer {
    const words = this.types.flat();
    const types = Buffer.alloc(4 * words.length);
    words.forEach((v, i) => (this.little ? types.writeUInt32LE(v >>> 0, 4 * i) : types.writeUInt32BE(v >>> 0, 4 * i)));
    const strings = Buffer.from(this.strings);
    const hdr = Buffer.alloc(24);
    const u32 = (v: number, at: number) => (this.little ? hdr.writeUInt32LE(v, at) : hdr.writeUInt32BE(v, at));
    if (this.little) hdr.writeUInt16LE(0xeb9f, 0);
    else hdr.writeUInt16BE(0xeb9f, 0);
    hdr.writeUInt8(1, 2);
    u32(24, 4);
    u32(0, 8);
    u32(types.length, 12);
    u32(types.length, 16);
    u32(strings.length, 20);
    return Buffer.concat([hdr, types, strings]);
  }
}
