/** Starts Express apps on 127.0.0.1 with a free port for tests, and small JSON request helpers. */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function listen(handler: express.Router | express.Express): Promise<Listening> {
  const app = express();
  app.use(handler);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A parsed JSON response body (tests read nested fields freely). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export async function postJson(
  url: string,
  body: unknown,
  raw = false,
): Promise<{ status: number; json: Json }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Json };
}
