/** A loopback TCP proxy whose connections a test can cut (a real broken link, not a mock). */
import net from 'node:net';

export interface Proxy {
  port: number;
  /** Destroys every live connection pair (both directions, like a network reset). */
  cut(): number;
  /** While held, new connections are reset at once (the link stays down); `hold(false)` lets them through again. */
  hold(on: boolean): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const live = new Set<net.Socket>();
  let held = false;
  const server = net.createServer((down) => {
    if (held) {
      down.on('error', () => {});
      down.resetAndDestroy();
      return;
    }
    const up = net.connect(targetPort, '127.0.0.1');
    live.add(down);
    live.add(up);
    const drop = () => {
      live.delete(down);
      live.delete(up);
      down.destroy();
      up.destroy();
    };
    down.on('error', drop).on('close', drop);
    up.on('error', drop).on('close', drop);
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut() {
      const n = live.size / 2;
      for (const s of [...live]) s.destroy();
      live.clear();
      return n;
    },
    hold(on: boolean) {
      held = on;
    },
    close() {
      for (const s of live) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
