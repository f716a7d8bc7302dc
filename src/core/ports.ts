import * as net from "node:net";

/**
 * A free TCP port on 127.0.0.1 (bound then released), for the servers tests, benchmarks and the pipeline start.
 *
 * @example
 * const port = await freePort(); // => e.g. 41233
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
