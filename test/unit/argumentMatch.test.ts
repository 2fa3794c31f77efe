// signature-mismatch's comparison of one BPF_PROG argument with the hook's parameter in its place, on
// the declarations users write (literal answers; the fixtures show the same through the whole check).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argumentProblem } from '../../server/src/analysis/checks/argumentMatch';
import { parseParam } from '../../server/src/ctext/cDecl';

const problem = (mine: string, theirs: string) => argumentProblem(parseParam(mine), parseParam(theirs));

describe('one BPF_PROG argument against the hook parameter', () => {
  it('accepts the same type, whatever the names, const or __user', () => {
    assert.equal(problem('struct file *f', 'struct file *file'), null);
    assert.equal(problem('const struct file *file', 'struct file *file'), null);
    assert.equal(problem('char __user *buf', 'char *buf'), null);
    assert.equal(problem('int mask', 'int mask'), null);
    assert.equal(problem('unsigned long prot', 'int mask'), null, 'scalars of another width are not compared');
  });

  it('accepts void * for any pointer, but not for a scalar or a pointer to pointer from void **', () => {
    assert.equal(problem('void *p', 'struct file *file'), null);
    assert.equal(problem('void *p', 'char **argv'), null);
    assert.equal(problem('void *p', 'int mask'), 'a pointer where the hook passes a scalar');
    assert.equal(problem('void **p', 'struct file *file'), 'a pointer of another depth');
  });

  it('names a pointer/scalar swap either way, and another depth', () => {
    assert.equal(problem('int file', 'struct file *file'), 'a scalar where the hook passes a pointer');
    assert.equal(problem('struct file *file', 'int mask'), 'a pointer where the hook passes a scalar');
    assert.equal(problem('struct file **file', 'struct file *file'), 'a pointer of another depth');
    assert.equal(problem('struct linux_binprm *bprm', 'struct linux_binprm **bprm'), 'a pointer of another depth');
  });

  it('names a pointer to another struct, union or enum', () => {
    assert.equal(problem('struct inode *f', 'struct file *file'), 'a pointer to struct inode, not struct file');
    assert.equal(problem('union file *f', 'struct file *file'), 'a pointer to union file, not struct file');
    assert.equal(problem('struct file *f', 'char *name'), null, 'only two tagged types are compared');
  });

  it('leaves function pointers alone', () => {
    assert.equal(problem('int (*fn)(void)', 'struct file *file'), null);
    assert.equal(problem('struct file *file', 'int (*fn)(void)'), null);
  });
});
