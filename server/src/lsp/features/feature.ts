// What a language feature is: it adds its capability to what the server announces and its handlers to
// the connection, so lspServer.ts is wiring only and a new feature is one new file.
import type { ClientCapabilities, Connection, ServerCapabilities } from 'vscode-languageserver';

/**
 * Runs a handler so that what it throws (or rejects with) is logged and shown once, and the request
 * gets `fallback` instead of an error.
 */
export type Guard = <T>(what: string, fn: () => T | Promise<T>, fallback: T) => T | Promise<T>;

export interface Feature {
  register(connection: Connection, capabilities: ServerCapabilities, client: ClientCapabilities, guard: Guard): void;
}
