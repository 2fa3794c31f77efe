// A free TCP port on 127.0.0.1 for QEMU's SSH forward (QEMU binds it a moment later; a lost race
// shows up as a hostfwd error and the caller retries).
import * as net from 'node:net';

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}
