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

describe('lsm_hook_defs.h parser: each construct, with what it gives', () => {
  const header = [
    '/* a comment with LSM_HOOK(int, 0, in_comment, void) */',
    'LSM_HOOK(int, 0, plain, struct file *file, unsigned long flags[2]) // tail',
    '#ifdef CONFIG_A',
    'LSM_HOOK(int, 0, under_a, void)',
    '#elif defined( CONFIG_B ) && defined  CONFIG_C',
    'LSM_HOOK(void, LSM_RET_VOID, under_b_c, int x)',
    '#else',
    'LSM_HOOK(int, 0, neither, int x)',
    '#endif',
    '#ifndef CONFIG_D',
    '#if   defined(CONFIG_E) || \\',
    '    CONFIG_F',
    'LSM_HOOK(int, 0, nested, int x)',
    '#endif',
    '#endif',
    'LSM_HOOK(int, -EOPNOTSUPP, FLAG_X, named, int y)',
    '#define X 1',
    'LSM_HOOK(int, 0, plain, void)',
    '#ifndef CONFIG_G',
    '#else',
    'LSM_HOOK (int, 0, not_not_g, void)',
    '#endif',
    'LSM_HOOK(int, 0, three_fields)',
    'LSM_HOOK(unsigned  long, 0, fp, int (*fn)(int, char), struct  file  *f)',
    '// LSM_HOOK(int, 0, in_line_comment, void)',
    '/* LSM_HOOK(int, 0, in_open_comment, void)',
  ].join('\n');

  it('conditions of #ifdef, #elif, #else, #ifndef and nested #if (continued lines joined), comments blanked, extra fields kept', () => {
    const r = parseHookDefs(`${header}\n`);
    const x = [{ type: 'int', name: 'x' }];
    assert.deepEqual(r.hooks, [
      {
        name: 'plain',
        ret: 'int',
        defaultValue: '0',
        args: [
          { type: 'struct file *', name: 'file' },
          { type: 'unsigned long *', name: 'flags' },
        ],
        condition: null,
        line: 2,
      },
      { name: 'under_a', ret: 'int', defaultValue: '0', args: [], condition: 'CONFIG_A', line: 4 },
      { name: 'under_b_c', ret: 'void', defaultValue: 'LSM_RET_VOID', args: x, condition: '!(CONFIG_A) && CONFIG_B && CONFIG_C', line: 6 },
      { name: 'neither', ret: 'int', defaultValue: '0', args: x, condition: '!(CONFIG_A || CONFIG_B && CONFIG_C)', line: 8 },
      { name: 'nested', ret: 'int', defaultValue: '0', args: x, condition: '!CONFIG_D && (CONFIG_E || CONFIG_F)', line: 13 },
      {
        name: 'named',
        ret: 'int',
        defaultValue: '-EOPNOTSUPP',
        args: [{ type: 'int', name: 'y' }],
        condition: null,
        line: 16,
        extraFields: ['FLAG_X'],
      },
      { name: 'not_not_g', ret: 'int', defaultValue: '0', args: [], condition: '!(!CONFIG_G)', line: 21 },
      { name: 'three_fields', ret: 'int', defaultValue: '0', args: [], condition: null, line: 23 },
      {
        name: 'fp',
        ret: 'unsigned long',
        defaultValue: '0',
        args: [
          { type: 'int (*fn)(int, char)', name: '' },
          { type: 'struct file *', name: 'f' },
        ],
        condition: null,
        line: 24,
      },
    ]);
    assert.deepEqual(r.errors, [{ line: 18, message: "hook 'plain' is declared again (first at line 2); the first is kept" }]);
    // The same lines with \r\n and with lone \r.
    for (const eol of ['\r\n', '\r']) {
      const again = parseHookDefs(header.split('\n').join(eol));
      assert.deepEqual(
        again.hooks.map((h) => [h.name, h.condition, h.line]),
        r.hooks.map((h) => [h.name, h.condition, h.line]),
        JSON.stringify(eol),
      );
    }
  });

  it('says what is wrong with each broken entry and directive, on its line', () => {
    const broken = [
      '#else',
      '#elif X',
      '#endif',
      'LSM_HOOK(int, 0)',
      'LSM_HOOK(in-t, 0, a, void)',
      'LSM_HOOK(int, , b, void)',
      'LSM_HOOK(int, 0, C, D)',
      'LSM_HOOK(int, 0, c, int a,)',
      'LSM_HOOK(int, 0, open',
      'LSM_HOOK(int, 0, e, void)',
      '#if A',
      '',
    ].join('\n');
    const r = parseHookDefs(broken);
    assert.deepEqual(
      r.hooks.map((h) => [h.name, h.condition]),
      [['e', null]],
    );
    assert.deepEqual(r.errors, [
      { line: 1, message: '#else without #if' },
      { line: 2, message: '#elif without #if' },
      { line: 3, message: '#endif without #if' },
      { line: 4, message: 'LSM_HOOK needs at least RET, DEFAULT and NAME, found 2 field(s)' },
      { line: 5, message: "return type 'in-t' is not a C type" },
      { line: 6, message: 'empty DEFAULT field' },
      { line: 7, message: "no hook name among the fields 'C, D'" },
      { line: 8, message: "empty argument in hook 'c'" },
      { line: 9, message: 'LSM_HOOK entry is not closed with )' },
      { line: 11, message: '1 #if block(s) not closed by #endif' },
    ]);
    assert.deepEqual(parseHookDefs(''), { hooks: [], errors: [{ line: 1, message: 'no LSM_HOOK entries found' }] });
    assert.deepEqual(parseHookDefs('a\0b'), { hooks: [], errors: [{ line: 1, message: 'not a text file (contains NUL bytes)' }] });
  });

  it('reads at most 10,000 entries, and says so', () => {
    const r = parseHookDefs(Array.from({ length: 10_001 }, (_, i) => `LSM_HOOK(int, 0, h${i}, void)`).join('\n'));
    assert.equal(r.hooks.length, 10_000);
    assert.equal(r.hooks[9_999].name, 'h9999');
    assert.deepEqual(r.errors, [
      {
        line: 10_001,
        message: "more than 10000 LSM_HOOK entries (a kernel's header has about 300); the rest of the file is not read",
      },
    ]);
  });

  it('lists 200 problems and counts the rest; cuts a condition at 500 characters', () => {
    const r = parseHookDefs(Array.from({ length: 205 }, () => 'LSM_HOOK(int, 0)').join('\n'));
    assert.equal(r.errors.length, 201);
    assert.deepEqual(r.errors[199], { line: 200, message: 'LSM_HOOK needs at least RET, DEFAULT and NAME, found 2 field(s)' });
    assert.deepEqual(r.errors[200], { line: 205, message: 'and 5 more problem(s), not listed' });
    assert.equal(parseHookDefs(Array.from({ length: 200 }, () => 'LSM_HOOK(int, 0)').join('\n')).errors.length, 200);
    // As many unlisted as listed: still problems, not "no entries found".
    const four = parseHookDefs(Array.from({ length: 400 }, () => 'LSM_HOOK(int, 0)').join('\n')).errors;
    assert.deepEqual(four.slice(199), [
      { line: 200, message: 'LSM_HOOK needs at least RET, DEFAULT and NAME, found 2 field(s)' },
      { line: 400, message: 'and 200 more problem(s), not listed' },
    ]);
    const names = Array.from({ length: 100 }, (_, i) => `defined(CONFIG_LONG_NAME_${i})`).join(' && ');
    const [hook] = parseHookDefs(`#if ${names}\nLSM_HOOK(int, 0, long_cond, void)\n#endif\n`).hooks;
    assert.equal(hook.condition!.length, 501);
    assert.ok(hook.condition!.startsWith('CONFIG_LONG_NAME_0 && CONFIG_LONG_NAME_1 && '), hook.condition!);
    assert.ok(hook.condition!.endsWith('…') && !hook.condition!.includes('CONFIG_LONG_NAME_99'), hook.condition!);
    const exact = 'A'.repeat(500);
    assert.equal(parseHookDefs(`#if ${exact}\nLSM_HOOK(int, 0, at_limit, void)\n#endif\n`).hooks[0].condition, exact);
  });

  it('reads `defined NAME` without parentheses, and `#  if` with spaces after the #', () => {
    const r = parseHookDefs('#  if defined CONFIG_A && defined(CONFIG_B)\nLSM_HOOK(int, 0, h, void)\n#endif\n');
    assert.deepEqual(
      r.hooks.map((h) => [h.name, h.condition]),
      [['h', 'CONFIG_A && CONFIG_B']],
    );
  });
});
