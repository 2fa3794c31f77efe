// The language server started inside the test process, over a pair of in-memory streams, with the
// analysis in this thread too (server/src/lsp/inThreadAnalysis.ts). The mutation run (npm run mutate)
// needs this: a mutant is switched on, and the code a test covers is recorded, in this process's
// globals, which neither a spawned server nor a worker thread shares. Everything else is the server's
// own code: the framing guard of its stdio connection, the server, its features, the analysis worker's
// message handling. LSP_IN_PROCESS=1 makes LspTestClient start servers this way.
import { PassThrough } from 'node:stream';
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter, type Connection } from 'vscode-languageserver/node';
import { FramingGuard } from '../../server/src/lsp/framing';
import { startInThreadAnalysis } from '../../server/src/lsp/inThreadAnalysis';
import { BpfLspServer } from '../../server/src/lsp/lspServer';

export const LSP_IN_PROCESS = process.env.LSP_IN_PROCESS === '1';

export class InProcessServer {
  /** What the client writes (the server's stdin) and reads (its stdout), as with a spawned server. */
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  /** What a spawned server would print on stderr (the framing guard's complaints). */
  readonly stderr = new PassThrough();
  private readonly connection: Connection;
  stopped = false;
  /** As a child process's: this process, which never exits on the server's behalf. */
  readonly pid = process.pid;
  readonly exitCode = null;
  readonly signalCode = null;

  constructor() {
    const input = this.stdin.pipe(
      new FramingGuard((message) => {
        this.stderr.write(`${message}\n`);
        this.connection.console.error(message);
      }),
    );
    this.connection = createConnection(ProposedFeatures.all, new StreamMessageReader(input), new StreamMessageWriter(this.stdout));
    new BpfLspServer(this.connection, '', startInThreadAnalysis).register();
    this.connection.listen();
  }

  /**
   * Ends the connection after `shutdown` (which disposes the server and its analysis). The `exit`
   * notification is never sent to it: vscode-languageserver answers it with process.exit().
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.connection.dispose();
    this.stdin.end();
    this.stdout.end();
  }
}
