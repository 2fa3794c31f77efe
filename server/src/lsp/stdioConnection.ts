// The connection over stdio, made here rather than by vscode-languageserver: its input goes through
// FramingGuard first (framing.ts), so a malformed header is dropped instead of silencing the server.
// Taking over stdio means also doing what the library does then: stdout carries the protocol, so
// console output goes to the client's log.
import { format } from 'node:util';
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter, type Connection } from 'vscode-languageserver/node';
import { FramingGuard } from './framing';

export function createStdioConnection(): Connection {
  // The guard reports only once data flows, after `connection` below exists.
  const input = process.stdin.pipe(
    new FramingGuard((message) => {
      process.stderr.write(`${message}\n`);
      connection.console.error(message);
    }),
  );
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(input), new StreamMessageWriter(process.stdout));
  const c = connection;
  console.log = console.debug = (...args: unknown[]) => c.console.log(format(...args));
  console.info = (...args: unknown[]) => c.console.info(format(...args));
  console.warn = (...args: unknown[]) => c.console.warn(format(...args));
  console.error = (...args: unknown[]) => c.console.error(format(...args));
  return connection;
}
