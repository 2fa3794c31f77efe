// mocha --require for the mutation run: `node:test` is answered by nodeTestOnMocha.ts (why: there), and
// the language server tests start their servers in this process (test/lsp/inProcessServer.ts).
import Module from 'node:module';
import * as nodeTestOnMocha from './nodeTestOnMocha';

process.env.LSP_IN_PROCESS = '1';
process.env.BPF_LSM_TIME_LIMIT_SCALE = '10';

const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  if (request === 'node:test' || request === 'test') return nodeTestOnMocha;
  return load.call(this, request, ...rest);
};
