// The language server in the test process (inProcessServer.ts, the mutation run's way of running the
// protocol tests) must be the server: the same diagnostics, hovers and quick fixes as the bundled one
// on every lint fixture, and nothing left running once it stops.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIXTURES } from '../helpers/paths';
import { LspTestClient } from './lspClient';

const LINT = path.join(FIXTURES, 'lint');
const fixtures = fs.readdirSync(LINT).filter((f) => f.endsWith('.bpf.c'));

/** The handles Node reports active of the kinds an in-process server makes: its analysis port, timers. */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = { MessagePort: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind]++;
  return counts;
}

describe('a stopped in-process server', () => {
  it('leaves no port, stream or timer of its own behind', async () => {
    const baseline = activeHandles();
    const lsp = await LspTestClient.start(undefined, { inProcess: true });
    await lsp.openAndWait(
      'file:///work/in-process/a.bpf.c',
      'SEC("lsm/file_open")\nint BPF_PROG(a, struct file *f, int ret) { return ret; }\n',
    );
    assert.ok(activeHandles().MessagePort > baseline.MessagePort, 'the in-thread analysis has a port');
    await lsp.stop();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(activeHandles(), baseline);
  });
});

describe('the language server in the test process', () => {
  let spawned: LspTestClient;
  let inProcess: LspTestClient;
  before(async () => {
    [spawned, inProcess] = await Promise.all([LspTestClient.start(), LspTestClient.start(undefined, { inProcess: true })]);
  });
  after(async () => {
    await Promise.all([spawned?.stop(), inProcess?.stop()]);
  });

  it(`gives the bundled server's diagnostics, hovers and quick fixes on all ${fixtures.length} lint fixtures`, async () => {
    let compared = 0;
    for (const name of fixtures) {
      const uri = `file:///work/in-process/${name}`;
      const text = fs.readFileSync(path.join(LINT, name), 'utf8');
      const [a, b] = await Promise.all([spawned.openAndWait(uri, text), inProcess.openAndWait(uri, text)]);
      assert.deepEqual(b.diagnostics, a.diagnostics, name);
      for (const d of a.diagnostics) {
        const { line, character } = d.range.start;
        assert.deepEqual(
          await inProcess.hover(uri, line, character),
          await spawned.hover(uri, line, character),
          `${name} hover ${line}:${character}`,
        );
        assert.deepEqual(await inProcess.codeActions(uri, d), await spawned.codeActions(uri, d), `${name} fixes of ${d.code}`);
        compared++;
      }
      await Promise.all([spawned.close(uri), inProcess.close(uri)]);
    }
    assert.ok(compared > 50, `only ${compared} diagnostics compared`);
  });
});
