import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseHookDefs } from '../../server/src/hooks/hookDefsParser';
import { fixture, KERNEL_HOOKS_DIR, kernelHooksAvailable, skipIfMissing } from '../helpers/paths';

describe('lsm_hook_defs.h parser: format hazards', () => {
  const { hooks, errors } = parseHookDefs(fixture('headers', 'hazards.h'));
  const byName = new Map(hooks.map((h) => [h.name, h]));

  it('parses every entry and nothing inside comments', () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(
      hooks.map((h) => h.name),
      [
        'simple_hook',
        'spread_hook',
        'no_args_hook',
        'user_hook',
        'odd_spacing_hook',
        'commented_arg_hook',
        'ifdef_hook',
        'nested_hook',
        'else_hook',
        'ifndef_hook',
        'flagged_hook',
        'array_hook',
      ],
    );
  });

  it('reads entries spread over several lines, with their first line', () => {
    const h = byName.get('spread_hook')!;
    assert.equal(h.line, 6);
    assert.deepEqual(h.args, [
      { type: 'const struct cred *', name: 'old' },
      { type: 'const struct cred *', name: 'new' },
      { type: 'unsigned long', name: 'flags' },
    ]);
  });

  it('reads void hooks and void argument lists', () => {
    const h = byName.get('no_args_hook')!;
    assert.equal(h.ret, 'void');
    assert.equal(h.defaultValue, 'LSM_RET_VOID');
    assert.deepEqual(h.args, []);
  });

  it('keeps __user, typedef types, odd spacing and comments out of the way', () => {
    assert.deepEqual(
      byName.get('user_hook')!.args.map((a) => `${a.type}|${a.name}`),
      ['struct socket *|sock', 'char __user *|optval', 'int __user *|optlen', 'unsigned|len'],
    );
    assert.equal(byName.get('user_hook')!.defaultValue, '-EOPNOTSUPP');
    assert.deepEqual(byName.get('odd_spacing_hook')!.args, [
      { type: 'u32 *', name: 'secid' },
      { type: 'kernel_cap_t *', name: 'caps' },
    ]);
    assert.deepEqual(
      byName.get('commented_arg_hook')!.args.map((a) => a.name),
      ['inode', 'mask'],
    );
    assert.deepEqual(byName.get('array_hook')!.args, [
      { type: 'struct xattr *', name: 'xattrs' },
      { type: 'char **', name: 'names' },
    ]);
  });

  it('records the #if condition of each hook, nested and negated', () => {
    assert.equal(byName.get('simple_hook')!.condition, null);
    assert.equal(byName.get('ifdef_hook')!.condition, 'CONFIG_FEATURE_A');
    assert.equal(byName.get('nested_hook')!.condition, 'CONFIG_FEATURE_A && (CONFIG_FEATURE_B && CONFIG_FEATURE_C)');
    assert.equal(byName.get('else_hook')!.condition, '!(CONFIG_FEATURE_A)');
    assert.equal(byName.get('ifndef_hook')!.condition, '!CONFIG_FEATURE_D');
  });

  it('counts the macro fields: an added flags field before NAME is kept apart', () => {
    const h = byName.get('flagged_hook')!;
    assert.deepEqual(h.extraFields, ['LSM_HOOK_SLEEPABLE']);
    assert.deepEqual(h.args, [{ type: 'struct file *', name: 'file' }]);
  });
});

describe('lsm_hook_defs.h parser: malformed input', () => {
  it('reports each bad entry with its line and keeps the good ones', () => {
    const { hooks, errors } = parseHookDefs(fixture('headers', 'broken.h'));
    assert.deepEqual(
      hooks.map((h) => h.name),
      ['good_first', 'good_second', 'good_third', 'good_fourth'],
    );
    assert.deepEqual(
      errors.map((e) => e.line),
      [3, 4, 6, 7, 8, 11],
    );
    assert.match(errors[0].message, /at least RET, DEFAULT and NAME/);
    assert.match(errors[1].message, /not closed/);
    assert.match(errors[2].message, /no hook name/);
    assert.match(errors[3].message, /declared again \(first at line 5\)/);
    assert.match(errors[4].message, /#endif without #if/);
    assert.match(errors[5].message, /not closed by #endif/);
  });

  it('says so for empty, binary and unrelated files instead of throwing', () => {
    assert.deepEqual(parseHookDefs('').errors, [{ line: 1, message: 'no LSM_HOOK entries found' }]);
    assert.match(parseHookDefs('LSM_HOOK(int\0, 0, x, void)').errors[0].message, /not a text file/);
    assert.equal(parseHookDefs('int main(void) { return 0; }\n').hooks.length, 0);
  });

  it('never throws on random or truncated input', () => {
    const real = fixture('headers', 'hazards.h');
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 300; i++) {
      const cut = real.slice(0, Math.floor(rand() * real.length));
      const noise = Array.from({ length: 40 }, () => '(),#*\n LSM_HOOK/'[Math.floor(rand() * 16)]).join('');
      const at = Math.floor(rand() * cut.length);
      const text = cut.slice(0, at) + noise + cut.slice(at);
      const result = parseHookDefs(text);
      assert.ok(Array.isArray(result.hooks) && Array.isArray(result.errors));
      for (const e of result.errors) assert.ok(e.line >= 1 && e.line <= text.split('\n').length, `line ${e.line}`);
    }
  });
});

describe('lsm_hook_defs.h parser: real kernel headers', { skip: skipIfMissing(kernelHooksAvailable(), KERNEL_HOOKS_DIR) }, () => {
  it('finds as many hooks in each release as the kernel-hooks README counts', () => {
    const readme = fs.readFileSync(path.join(KERNEL_HOOKS_DIR, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (lsm_hook_defs-v[^ ]+\.h) \| [^|]+ \| (\d+) \|/gm)];
    assert.equal(rows.length, 10, 'the README lists ten headers');
    for (const [, file, count] of rows) {
      const { hooks, errors } = parseHookDefs(fs.readFileSync(path.join(KERNEL_HOOKS_DIR, file), 'utf8'));
      assert.deepEqual(errors, [], file);
      assert.equal(hooks.length, Number(count), file);
    }
  });
});
