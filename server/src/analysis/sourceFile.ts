// C files for the linter to analyse, read within the bounds the language server applies to open
// documents (MAX_ANALYSED_LENGTH), so that the two accept and refuse the same files.
import { InputFileError, readTextFile, type ReadLimit } from '../ctext/boundedRead';
import { MAX_ANALYSED_LENGTH, tooLargeMessage } from './cParser';

/** A UTF-8 C file of MAX_ANALYSED_LENGTH UTF-16 units has at most 3 bytes per unit; the text is checked after. */
export const SOURCE_LIMIT: ReadLimit = {
  what: 'a C file',
  maxBytes: 3 * MAX_ANALYSED_LENGTH,
  tooLarge: (bytes) => tooLargeMessage(bytes, 'bytes'),
};

/** A C file to analyse: a text file of at most MAX_ANALYSED_LENGTH characters, as the server takes. */
export function readSourceFile(file: string): string {
  const text = readTextFile(file, SOURCE_LIMIT);
  if (text.length > MAX_ANALYSED_LENGTH) throw new InputFileError(`is ${tooLargeMessage(text.length)}`);
  return text;
}
