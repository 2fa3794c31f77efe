// "Did you mean" for a name that is not a hook (checks/hookSuggestions.ts): what users type for the
// hooks the kernel names otherwise, against the real 7.3 hook list, and how candidates are ranked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestHooks } from '../../server/src/analysis/checks/hookSuggestions';
import { HookCatalog } from '../../server/src/hooks/catalog';

describe('hook suggestions', () => {
  const { target } = HookCatalog.bundled().target({ kernel: '7.3' });
  const hooks = [...target.hooks.keys()];
  const suggest = (name: string) => suggestHooks(name, hooks, new Set(hooks));

  it("maps the words users write to the kernel's names, on the real 7.3 hooks", () => {
    const cases: [string, string[]][] = [
      ['exec', ['bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds']],
      ['execve', ['bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds']],
      ['execute', ['bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds']],
      ['program', ['bprm_check_security', 'bprm_committed_creds', 'bprm_committing_creds']],
      ['mount', ['sb_mount', 'sb_kern_mount', 'sb_umount']],
      ['umount', ['sb_umount', 'sb_mount', 'sb_remount']],
      ['delete', ['sb_delete', 'inode_rmdir', 'inode_unlink']],
      ['remove', ['inode_rmdir', 'path_rmdir', 'inode_remove_acl']],
      ['connect', ['socket_connect', 'socket_accept', 'socket_bind']],
      ['bind', ['socket_bind', 'socket_listen', 'socket_sendmsg']],
      ['chmod', ['path_chmod', 'inode_setattr', 'inode_file_setattr']],
      ['chown', ['path_chown', 'inode_setattr', 'inode_file_setattr']],
      ['sock', ['socket_sock_rcv_skb', 'sock_graft', 'socket_bind']],
      ['process', ['task_free', 'task_getsid', 'task_kill']],
      ['fork', ['task_alloc', 'task_free', 'task_kill']],
      ['target_exec', ['bprm_creds_for_exec', 'bprm_check_security', 'bprm_committed_creds']],
      ['file_opn', ['file_open', 'file_lock', 'file_fcntl']],
      ['inode_unlinkk', ['inode_unlink', 'inode_link', 'inode_symlink']],
    ];
    for (const [name, expected] of cases) assert.deepEqual(suggest(name), expected, name);
  });

  it('suggests nothing for weak words alone, short words, object members or a name far too long', () => {
    assert.deepEqual(suggest('security_check_free'), []);
    assert.deepEqual(suggest('x'), []);
    assert.deepEqual(suggest('constructor'), []);
    assert.deepEqual(suggestHooks('sb_io', ['sb_mount', 'inode_io'], new Set()), []);
    const longest = `file_open_${'x'.repeat(90)}`;
    assert.equal(longest.length, 100);
    assert.deepEqual(suggestHooks(longest, ['file_open'], new Set()), ['file_open']);
    assert.deepEqual(suggestHooks(`${longest}x`, ['file_open'], new Set()), []);
  });

  it("ranks the target's hooks first, then typos, then shared words, then the nearer spelling", () => {
    assert.deepEqual(suggestHooks('file_opn', ['file_open', 'file_opened'], new Set(['file_opened'])), ['file_opened', 'file_open']);
    assert.deepEqual(suggestHooks('connect', ['socket_bind', 'socket_connect', 'connecy'], new Set()), [
      'connecy',
      'socket_connect',
      'socket_bind',
    ]);
    assert.deepEqual(suggestHooks('abcd', ['zzzz', 'abxx', 'abce'], new Set()), ['abce', 'abxx']);
    assert.deepEqual(suggestHooks('security_file_free', ['security_free', 'file_alloc_security', 'file_free_security'], new Set()), [
      'file_free_security',
      'file_alloc_security',
    ]);
    assert.deepEqual(suggestHooks('open_file', ['mmap_file', 'file_ioctl', 'file_receive', 'file_open'], new Set(), 2), [
      'file_open',
      'mmap_file',
    ]);
  });
});
