// One C parameter declaration read as its parts (ctext/cDecl.ts): what the signature checks compare
// hook arguments by, and whether the trailing `ret` slot is an integer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIntegerScalar, parseParam } from '../../server/src/ctext/cDecl';

describe('C parameter declarations', () => {
  it('keeps a function-pointer parameter whole, and reads nothing from an empty one', () => {
    assert.deepEqual(parseParam('int (*cb)(struct file *f)'), {
      base: 'int (*cb)(struct file *f)',
      pointer: 0,
      name: '',
      type: 'int (*cb)(struct file *f)',
    });
    assert.deepEqual(parseParam(''), { base: '', pointer: 0, name: '', type: '' });
    assert.deepEqual(parseParam('/* nothing */'), { base: '', pointer: 0, name: '', type: '' });
  });

  it('takes the kernel and C99 integer typedefs as integers, and only whole names', () => {
    const integer = (base: string) => isIntegerScalar(parseParam(`${base} ret`));
    const yes = ['int', 'unsigned long', '_Bool', 'u32', 's8', '__u16', '__s64', 'uint32_t', 'int8_t', 'uint64_t', 'size_t', 'ssize_t'];
    const no = [
      'x32',
      '__x32',
      '_u32',
      'u128',
      'u32x',
      'xu32',
      'uint32_tx',
      'xint32_t',
      'uuint32_t',
      'xsize_t',
      'size_tx',
      'ssize_tx',
      'xssize_t',
      'struct file',
    ];
    assert.deepEqual(
      yes.filter((b) => !integer(b)),
      [],
    );
    assert.deepEqual(no.filter(integer), []);
    assert.equal(isIntegerScalar(parseParam('u32 *ret')), false, 'a pointer is not an integer');
  });
});
