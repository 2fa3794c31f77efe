// The server's one logger: levels over the connection's console (the client's output channel), so
// every module logs the same way and debug lines cost nothing unless asked for (BPF_LSM_LOG=debug).
import type { RemoteConsole } from 'vscode-languageserver';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  return value === 'error' || value === 'warn' || value === 'info' || value === 'debug' ? value : 'info';
}

export function createLogger(console: RemoteConsole, level: LogLevel = parseLogLevel(process.env.BPF_LSM_LOG)): Logger {
  const on = (l: LogLevel) => RANK[l] <= RANK[level];
  return {
    error: (m) => on('error') && console.error(m),
    warn: (m) => on('warn') && console.warn(m),
    info: (m) => on('info') && console.info(m),
    debug: (m) => on('debug') && console.log(m),
  };
}
