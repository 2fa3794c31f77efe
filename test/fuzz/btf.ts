// Crafted BTF blobs: a few bpf_lsm_<hook> functions whose prototypes refer to types that refer back to
// themselves (const -> const, pointer -> typedef -> pointer, arrays of themselves), out-of-range ids, and
// then random byte damage. The reader must answer with hooks or a BtfError, never recurse forever.
import { BtfWriter, K } from '../helpers/btfWriter';
import type { Rng } from './rng';

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
  const w = new BtfWriter();
  for (const t of types) w.type(t.kind, w.str(t.name), t.vlen ?? 0, t.ref, t.extra, t.kindFlag);
  return new Uint8Array(w.bytes());
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
