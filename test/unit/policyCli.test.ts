// bpf-lsm-test's command line without a VM: usage errors, malformed files (line-numbered, exit 2, the
// valid files still counted), a kernel no VM exists for, and an unreachable target are errors (exit 2),
// not test failures; --help. The runs on real VMs are in test/vm/policy.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../policy/src/cli';
import { parsePolicyTestFile } from '../../policy/src/testFile';
import { runMain } from '../helpers/cliMain';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';

const cli = (...args: string[]) => runMain(main, args);

describe('bpf-lsm-test command line', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-cli-'));
    fs.writeFileSync(path.join(dir, 'prog.bpf.c'), '// never compiled by these tests\n');
    fs.writeFileSync(
      path.join(dir, 'ok.lsmtest.yaml'),
      'program: prog.bpf.c\nkernels: ["9.9"]\ncases:\n  - name: a case\n    open: /tmp/x\n    expect: allowed\n',
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints its usage with --help and exits 0', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /usage: bpf-lsm-test \[--kernel/);
    assert.match(r.out, /Exit status: 0 all passed, 1 a case failed, 2/);
  });

  it('refuses bad options with exit 2 and says which', async () => {
    for (const [args, why] of [
      [['--reporter', 'xml', dir], /--reporter must be spec, tap or junit/],
      [['-j', '0', dir], /-j needs a positive number/],
      [['--kernel', '6.x', dir], /'6\.x' is not a kernel series/],
      [['--shard', '3/2', dir], /shard/i],
      [['--target', 'vm', '--kernel', '6.1', dir], /with --target the kernel is the one the target runs/],
      [[path.join(dir, 'missing')], /no such file or folder/],
    ] as const) {
      const r = await cli(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, why);
    }
  });

  it('reports malformed files with file:line:column and exits 2, without starting anything', async () => {
    const bad = path.join(FIXTURES, 'policy', 'invalid', 'bad-errno.lsmtest.yaml');
    const r = await cli('--kernel', '9.9', bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad-errno\.lsmtest\.yaml:\d+:\d+: error: .*errno/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
  });

  it('says a kernel has no test VM as an infrastructure error (exit 2), and still writes the report', async () => {
    const junit = path.join(dir, 'r.xml');
    const r = await cli('--reporter', 'junit', '--output', junit, dir);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /no test VM for kernel 9\.9/);
    assert.match(fs.readFileSync(junit, 'utf8'), /<testsuite[^>]*name="[^"]*ok\.lsmtest\.yaml \[9\.9\]"/);
  });

  it('says an unreachable target is an infrastructure error (exit 2), not a failed case', async () => {
    // Port 1 on loopback: nothing listens there, ssh is refused at once.
    const r = await cli('--target', 'root@127.0.0.1:1', dir);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /target root@127\.0\.0\.1:1/);
  });

  it("the README's example is a valid test file", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const example = /## Policy tests[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'the Policy tests section has a YAML example');
    const r = parsePolicyTestFile(example, path.join(REPO_ROOT, 'examples', 'readme.lsmtest.yaml'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.file?.cases.length, 3);
  });
});
