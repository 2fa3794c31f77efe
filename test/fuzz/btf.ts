// Crafted BTF blobs: a few bpf_lsm_<hook> functions whose prototypes refer to types that refer back to
// themselves (const -> const, pointer -> typedef -> pointer, arrays of themselves), out-of-range ids, and
// then random byte damage. The reader must answer with hooks or a BtfError, never recurse forever.
import type { Rng } from './rng';

const enum K {
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Func = 12,
  FuncProto = 13,
  TypeTag = 18,
}

interface RawType {
  name: string;
  kind: K;
  vlen?: number;
  kindFlag?: boolean;
  /** size or referenced type id */
  ref: number;
  extra?: number[];
}

/** Serialises types (ids from 1) and their names into a little-endian BTF blob. */
export function buildBtf(types: RawType[]): Uint8Array {
  const strings: number[] = [0];
  const offsets = new Map<string, number>([['', 0]]);
  const str = (s: string) => {
    if (!offsets.has(s)) {
      offsets.set(s, strings.length);
      strings.push(...Buffer.from(s, 'utf8'), 0);
    }
    return offsets.get(s)!;
  };
  const words: number[] = [];
  for (const t of types) {
    const info = ((t.kindFlag ? 1 : 0) << 31) | (t.kind << 24) | ((t.vlen ?? 0) & 0xffff);
    words.push(str(t.name), info >>> 0, t.ref >>> 0);
    for (const x of t.extra ?? []) words.push(x >>> 0);
  }
  const typeLen = words.length * 4;
  const buf = Buffer.alloc(24 + typeLen + strings.length);
  buf.writeUInt16LE(0xeb9f, 0);
  buf.writeUInt8(1, 2);
  buf.writeUInt32LE(24, 4);
  buf.writeUInt32LE(0, 8);
  buf.writeUInt32LE(typeLen, 12);
  buf.writeUInt32LE(typeLen, 16);
  buf.writeUInt32LE(strings.length, 20);
  words.forEach((w, i) => buf.writeUInt32LE(w, 24 + i * 4));
  Buffer.from(strings).copy(buf, 24 + typeLen);
  return new Uint8Array(buf);
}

/**
 * A BTF with an int (id 1), a cycle of the chosen shape, and hooks whose parameters point into it.
 * Hook names come from `hooks` (built-in property names among them).
 */
export function cyclicBtf(rng: Rng, hooks: string[]): Uint8Array {
  const types: RawType[] = [{ name: 'int', kind: K.Int, ref: 4, extra: [(1 << 24) | 32] }];
  const id = () => types.length + 1;
  const cycleStart = id();
  const shape = rng.int(6);
  const length = 1 + rng.int(4);
  for (let i = 0; i < length; i++) {
    const next = i === length - 1 ? cycleStart : id() + 1;
    const kind =
      shape === 0
        ? K.Const
        : shape === 1
          ? K.Ptr
          : shape === 2
            ? K.Typedef
            : shape === 3
              ? rng.pick([K.Const, K.Volatile, K.Ptr, K.Typedef, K.TypeTag])
              : K.Ptr;
    if (shape === 4) {
      // An array of itself.
      types.push({ name: '', kind: K.Array, ref: 0, extra: [next, 1, 4] });
    } else {
      types.push({ name: kind === K.Typedef || kind === K.TypeTag ? `t${i}` : '', kind, ref: shape === 5 ? 0xffffff00 + i : next });
    }
  }
  for (const hook of hooks) {
    const params = 1 + rng.int(3);
    const proto = id();
    const extra: number[] = [];
    for (let p = 0; p < params; p++) extra.push(0, rng.chance(0.7) ? cycleStart + rng.int(length) : rng.pick([1, 0, 0xffffffff]));
    // Parameter names are string offsets; filled in below once the string exists.
    types.push({ name: '', kind: K.FuncProto, vlen: params, ref: rng.chance(0.5) ? 1 : cycleStart, extra });
    types.push({ name: `bpf_lsm_${hook}`, kind: K.Func, ref: rng.chance(0.9) ? proto : cycleStart });
  }
  return buildBtf(types);
}

/** Random damage: flipped bytes, a truncated tail, huge header fields. */
export function damageBtf(rng: Rng, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(rng.chance(0.2) ? data.slice(0, rng.int(data.length + 1)) : data);
  const flips = rng.int(6);
  for (let i = 0; i < flips && out.length > 0; i++) out[rng.int(out.length)] = rng.int(256);
  if (rng.chance(0.1) && out.length >= 24)
    new DataView(out.buffer).setUint32(4 * (1 + rng.int(5)), rng.pick([0, 0xffffffff, 0x7fffffff, 25]), true);
  return out;
}
