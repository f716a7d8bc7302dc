/**
 * The few DuckDB helpers the data layer shares: opening an in-memory database with explicit options (instance
 * options are strings), quoting SQL literals, and copying numeric result columns into preallocated typed arrays
 * chunk by chunk (the fastest way out of DuckDB measured here; no per-row JavaScript objects).
 */
import * as os from "node:os";
import { DuckDBConnection, DuckDBInstance, type DuckDBVector } from "@duckdb/node-api";

export interface Database {
  connection: DuckDBConnection;
  close(): void;
}

/**
 * Opens an in-memory DuckDB with `threads` worker threads (default: all cores). Extensions are never
 * auto-installed (the machine may be offline).
 */
export async function openDatabase(options: { threads?: number } = {}): Promise<Database> {
  const instance = await DuckDBInstance.create(":memory:", {
    threads: String(options.threads ?? os.cpus().length),
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * A SQL string literal: single quotes doubled.
 *
 * @example
 * sqlString("it's.csv"); // => "'it''s.csv'"
 */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A typed array the numeric DuckDB vectors hold their items in. */
type NumericArray = Int32Array | Float32Array | Float64Array;

/**
 * The vector's items as a typed array when DuckDB exposes them as one (INTEGER, FLOAT, DOUBLE), else undefined.
 * The node-api keeps the array in a private field; reading it avoids one getItem call per row.
 */
function rawItems(vector: DuckDBVector): NumericArray | undefined {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof Int32Array || items instanceof Float32Array || items instanceof Float64Array)
    return items;
  return undefined;
}

/**
 * Streams `sql` and copies its columns, in order, into `targets` (one typed array per result column, already
 * sized). Returns the number of rows copied; throws when the result has more rows than the arrays hold or when a
 * value is NULL.
 */
export async function streamIntoTypedArrays(
  connection: DuckDBConnection,
  sql: string,
  targets: NumericArray[],
): Promise<number> {
  const result = await connection.stream(sql);
  if (result.columnCount !== targets.length)
    throw new Error(`query returns ${result.columnCount} columns, ${targets.length} arrays given`);
  const capacity = targets.length > 0 ? targets[0].length : 0;
  let offset = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const rows = chunk.rowCount;
    if (offset + rows > capacity) throw new Error(`query returns more than the expected ${capacity} rows`);
    for (let c = 0; c < targets.length; c++) {
      const vector = chunk.getColumnVector(c);
      const target = targets[c];
      const items = rawItems(vector);
      if (items && items.constructor === target.constructor) {
        target.set(items.subarray(0, rows), offset);
        continue;
      }
      for (let i = 0; i < rows; i++) {
        const value = vector.getItem(i);
        if (value === null) throw new Error(`NULL in column ${c} at row ${offset + i}`);
        target[offset + i] = Number(value);
      }
    }
    offset += rows;
  }
  return offset;
}
