/**
 * Whether something accepts a TCP connection at address:port, within a short timeout: how a
 * restore elsewhere asks whether the source still serves the API hostname. Connects and closes
 * at once; sends nothing.
 */
import net from 'node:net';

export function tcpAnswers(address: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
