// The source line of each instruction of a BPF object, from its BTF line info (.BTF.ext), and where
// each program starts (its symbol). Kernels before 6.2 print a verifier log's source annotations
// without `@ file:line`: the failing instruction's index maps to a line through this. Reads a clang
// ELF64 object only (little- or big-endian); anything malformed gives an empty answer, never a throw.

export interface LineInfo {
  /** Byte offset of the instruction in its section. */
  insnOff: number;
  file: string;
  /** The source text clang recorded for the line (what a verifier log's `;` annotation prints). */
  text: string;
  /** 1-based; 0 for instructions without a line. */
  line: number;
  column: number;
}

export interface ObjectProgram {
  name: string;
  section: string;
  /** Byte offset of the program in its section. */
  offset: number;
}

export interface ObjectLineInfo {
  programs: ObjectProgram[];
  /** Line records per section name, ordered by instruction offset. */
  lines: Map<string, LineInfo[]>;
}

const EMPTY: ObjectLineInfo = { programs: [], lines: new Map() };
/** Bounds against a hostile object: records read in all. */
const MAX_RECORDS = 1_000_000;

interface Section {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

class Reader {
  constructor(
    readonly buf: Buffer,
    readonly little: boolean,
  ) {}
  u16(off: number): number {
    return this.little ? this.buf.readUInt16LE(off) : this.buf.readUInt16BE(off);
  }
  u32(off: number): number {
    return this.little ? this.buf.readUInt32LE(off) : this.buf.readUInt32BE(off);
  }
  u64(off: number): number {
    return Number(this.little ? this.buf.readBigUInt64LE(off) : this.buf.readBigUInt64BE(off));
  }
  cstr(off: number, end: number): string {
    if (off < 0 || off >= end) return '';
    const stop = this.buf.indexOf(0, off);
    return this.buf.toString('utf8', off, stop < 0 || stop > end ? end : stop);
  }
}

function sections(r: Reader): Section[] {
  const shoff = r.u64(0x28);
  const shentsize = r.u16(0x3a);
  const shnum = r.u16(0x3c);
  const shstrndx = r.u16(0x3e);
  if (shentsize < 64 || shoff + shnum * shentsize > r.buf.length) return [];
  const raw = Array.from({ length: shnum }, (_, i) => {
    const at = shoff + i * shentsize;
    return {
      nameOff: r.u32(at),
      type: r.u32(at + 4),
      offset: r.u64(at + 0x18),
      size: r.u64(at + 0x20),
      link: r.u32(at + 0x28),
      entsize: r.u64(at + 0x38),
    };
  });
  const names = raw[shstrndx];
  if (!names || names.offset + names.size > r.buf.length) return [];
  return raw.map((s) => ({ ...s, name: r.cstr(names.offset + s.nameOff, names.offset + names.size) }));
}

/** Function symbols: where each program (and subprogram) starts in its section. */
function functionSymbols(r: Reader, all: Section[]): ObjectProgram[] {
  const symtab = all.find((s) => s.type === 2);
  const strtab = symtab && all[symtab.link];
  if (!symtab || !strtab || symtab.entsize < 24 || symtab.offset + symtab.size > r.buf.length) return [];
  const out: ObjectProgram[] = [];
  for (let at = symtab.offset; at + 24 <= symtab.offset + symtab.size; at += symtab.entsize) {
    const info = r.buf[at + 4];
    const shndx = r.u16(at + 6);
    if ((info & 0xf) !== 2 || shndx === 0 || shndx >= all.length) continue; // STT_FUNC in a real section
    out.push({ name: r.cstr(strtab.offset + r.u32(at), strtab.offset + strtab.size), section: all[shndx].name, offset: r.u64(at + 8) });
  }
  return out;
}

/** Reads a BPF object's programs and line info; empty when it has no .BTF/.BTF.ext or is malformed. */
export function readObjectLineInfo(object: Buffer): ObjectLineInfo {
  try {
    return read(object);
  } catch {
    return EMPTY;
  }
}

function read(buf: Buffer): ObjectLineInfo {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return EMPTY; // ELF64 only
  const r = new Reader(buf, buf[5] === 1);
  const all = sections(r);
  const programs = functionSymbols(r, all);
  const btf = all.find((s) => s.name === '.BTF');
  const ext = all.find((s) => s.name === '.BTF.ext');
  if (!btf || !ext || btf.offset + btf.size > buf.length || ext.offset + ext.size > buf.length) return { programs, lines: new Map() };
  // .BTF: magic, version, flags, hdr_len, type_off, type_len, str_off, str_len.
  if (r.u16(btf.offset) !== 0xeb9f) return { programs, lines: new Map() };
  const strings = btf.offset + r.u32(btf.offset + 4) + r.u32(btf.offset + 16);
  const stringsEnd = Math.min(strings + r.u32(btf.offset + 20), btf.offset + btf.size);
  const str = (off: number) => r.cstr(strings + off, stringsEnd);
  // .BTF.ext: magic, version, flags, hdr_len, func_info_off, func_info_len, line_info_off, line_info_len.
  if (r.u16(ext.offset) !== 0xeb9f) return { programs, lines: new Map() };
  const hdrLen = r.u32(ext.offset + 4);
  const start = ext.offset + hdrLen + r.u32(ext.offset + 16);
  const end = Math.min(start + r.u32(ext.offset + 20), ext.offset + ext.size);
  const lines = new Map<string, LineInfo[]>();
  if (start + 4 > end) return { programs, lines };
  const recSize = r.u32(start);
  if (recSize < 16) return { programs, lines };
  let at = start + 4;
  let budget = MAX_RECORDS;
  while (at + 8 <= end) {
    const section = str(r.u32(at));
    const count = r.u32(at + 4);
    at += 8;
    const records = lines.get(section) ?? [];
    for (let i = 0; i < count && at + recSize <= end && budget-- > 0; i++, at += recSize) {
      const lineCol = r.u32(at + 12);
      records.push({
        insnOff: r.u32(at),
        file: str(r.u32(at + 4)),
        text: str(r.u32(at + 8)),
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      });
    }
    if (budget <= 0) break;
    lines.set(section, records);
  }
  for (const records of lines.values()) records.sort((a, b) => a.insnOff - b.insnOff);
  return { programs, lines };
}

/**
 * The line of instruction `index` (the verifier's numbering) of a program: the last line record at or
 * before it in the program's section. Undefined for an unknown program or a subprogram's instruction
 * that libbpf appended after the program (its index lies beyond the program's own code).
 */
export function lineOfInsn(info: ObjectLineInfo, program: string, index: number): LineInfo | undefined {
  const prog = info.programs.find((p) => p.name === program);
  if (!prog) return undefined;
  const records = info.lines.get(prog.section);
  if (!records) return undefined;
  const next = info.programs
    .filter((p) => p.section === prog.section && p.offset > prog.offset)
    .reduce((min, p) => Math.min(min, p.offset), Infinity);
  const off = prog.offset + index * 8;
  if (off >= next) return undefined;
  let found: LineInfo | undefined;
  for (const rec of records) {
    if (rec.insnOff > off) break;
    if (rec.insnOff >= prog.offset && rec.line > 0) found = rec;
  }
  return found;
}
