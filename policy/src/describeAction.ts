// An action as one readable line, for test output ("open /tmp/lsm-secret O_RDONLY").
import type { Action } from './model';

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'run':
      return a.command;
    case 'open':
      return `open ${a.path} ${a.flags.join('|') || 'O_RDONLY'}`;
    case 'exec':
      return `exec ${[a.path, ...a.args].join(' ')}`;
    case 'connect':
    case 'bind':
      return `${a.kind} ${a.protocol} ${a.family === 6 ? `[${a.address}]` : a.address}:${a.port}`;
    case 'unlink':
      return `unlink ${a.path}`;
    case 'mkdir':
      return `mkdir ${a.path} ${a.mode.toString(8)}`;
    case 'rename':
      return `rename ${a.from} ${a.to}`;
    case 'chmod':
      return `chmod ${a.path} ${a.mode.toString(8)}`;
    case 'mount':
      return `mount -t ${a.fstype} ${a.source} ${a.target}`;
    case 'kill':
      return `kill -${a.signal} (a child of the helper)`;
    case 'ptrace':
      return 'ptrace attach (a child of the helper)';
    case 'bpf':
      return `bpf map create (${a.map})`;
  }
}
