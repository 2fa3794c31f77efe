// Hook tables read from BTF, kept per kernel build (the BTF's SHA-256), so a BTF is parsed once.
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { BTF_LIMIT, readBoundedFile } from '../ctext/boundedRead';
import { hooksFromBtf, type BtfHookTable } from './btfHooks';

const byChecksum = new Map<string, BtfHookTable & { checksum: string }>();

let crypto: typeof Crypto | undefined;

export function btfChecksum(data: Uint8Array): string {
  // Loaded when a BTF is read: node:crypto costs the linter's every start a few ms otherwise.
  crypto ??= createRequire(__filename)('node:crypto') as typeof Crypto;
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The hook table of a BTF blob; throws BtfError on a corrupt one. */
export function btfHookTable(data: Uint8Array): BtfHookTable & { checksum: string } {
  const checksum = btfChecksum(data);
  let table = byChecksum.get(checksum);
  if (!table) {
    table = { ...hooksFromBtf(data), checksum };
    byChecksum.set(checksum, table);
  }
  return table;
}

/** The hook table of a BTF file; throws InputFileError (not a file, too large...) or BtfError. */
export function btfHookTableFromFile(path: string): BtfHookTable & { checksum: string } {
  return btfHookTable(readBoundedFile(path, BTF_LIMIT));
}
