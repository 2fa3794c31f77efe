// Entry point of the language server (bundled to dist/server.js): connect, register, listen.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { BpfLspServer } from './lsp/lspServer';

const connection = createConnection(ProposedFeatures.all);
new BpfLspServer(connection).register();
connection.listen();
