/**
 * Reading and validating MovieLens CSV files (ratings.csv, movies.csv) inside DuckDB, so validation stays fast at
 * 25M rows: the file is parsed once with declared column types into a table whose `rowid` follows the file's line
 * order; range checks are one aggregate over that table. Only when something is wrong does a slower diagnostic
 * pass (every field read as text) find the first bad line, which the `InputError` names with what was expected.
 *
 * Line numbers count the header as line 1, so the first data row is line 2 (what an editor shows). They assume
 * no quoted field spans lines, which holds for every MovieLens release.
 *
 * Lines may end in CRLF (as in the releases), LF, or a mix of both (what an editor leaves after changing one line);
 * a mixed file costs one extra pass, described at `withUniformLineEnds`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "../core/errors";
import { sqlString } from "./duckdb";

/** The header line of ratings.csv in every MovieLens release. */
export const RATINGS_HEADER = ["userId", "movieId", "rating", "timestamp"] as const;
/** The header line of movies.csv in every MovieLens release. */
export const MOVIES_HEADER = ["movieId", "title", "genres"] as const;

/** The CSVs every MovieLens release holds and abrec needs, with their header lines. */
export const MOVIELENS_CSV_HEADERS = { "ratings.csv": RATINGS_HEADER, "movies.csv": MOVIES_HEADER } as const;

/** Timestamps before this (1995-01-01 UTC) cannot be MovieLens ratings: a cut-off number is the likely cause. */
export const EARLIEST_TIMESTAMP = 788_918_400;

const CSV_OPTIONS = `auto_detect=false, delim=',', quote='"', escape='"'`;

/**
 * Checks what can be checked without parsing: the file exists, is not empty, starts with the expected header,
 * has at least one data row and ends with a line break (a file cut short while copying or downloading does not).
 */
export function checkCsvShape(file: string, header: readonly string[]): void {
  if (!fs.existsSync(file)) throw new InputError(`file not found (expected a MovieLens CSV)`, { file });
  const size = fs.statSync(file).size;
  if (size === 0)
    throw new InputError(`empty file, expected the header "${header.join(",")}"`, { file, line: 1 });
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    fs.readSync(fd, head, 0, head.length, 0);
    const text = head.toString("utf8").replace(/^\uFEFF/, "");
    const firstBreak = text.indexOf("\n");
    const firstLine = (firstBreak < 0 ? text : text.slice(0, firstBreak)).replace(/\r$/, "");
    if (firstLine !== header.join(","))
      throw new InputError(`wrong or missing header: expected "${header.join(",")}", found "${firstLine}"`, {
        file,
        line: 1,
      });
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (firstBreak < 0 || firstBreak >= size - 2)
      throw new InputError(`no data rows after the header`, { file, line: 2 });
    if (last[0] !== 0x0a)
      throw new InputError(
        `truncated file: the last line does not end with a line break (the file was probably cut short)`,
        { file },
      );
  } finally {
    fs.closeSync(fd);
  }
}

/** The first bad line of a CSV and what was wrong with it. */
interface BadLine {
  line: number;
  field?: string;
  problem: string;
}

/** DuckDB's structural CSV error that names no line: with strict mode on, mixed line ends or a lone CR. */
const UNPLACED_CSV_ERROR = /state machine reached an invalid state/;

/** DuckDB's descriptions of what is wrong with a line, and what abrec says instead (with what was expected). */
const DUCKDB_CSV_PROBLEMS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/Expected Number of Columns: (\d+) Found: (\d+)/, (m) => `expected ${m[1]} fields, found ${m[2]}`],
  [
    /unterminated quote/,
    () => `unbalanced double quotes (expected quotes around a whole field, with "" for a quote inside it)`,
  ],
  [/Invalid unicode/, () => `not UTF-8 text (expected a UTF-8 encoded CSV file)`],
  [
    /Maximum line size of (\d+) bytes exceeded/,
    (m) => `line longer than ${m[1]} bytes (expected one record per line)`,
  ],
  [/Error when converting column .*/, (m) => `cannot parse CSV: ${m[0].slice(0, 200)}`],
  [
    UNPLACED_CSV_ERROR,
    () =>
      `cannot parse CSV (expected comma-separated fields, double quotes around whole fields only, and lines ending ` +
      `in CRLF or LF)`,
  ],
];

/**
 * DuckDB's CSV error as an InputError naming the file, the line when DuckDB gives one, and what was expected. The
 * rest of DuckDB's message (the line echoed, its reader options, fixes naming options abrec sets) is dropped.
 */
function duckdbCsvError(file: string, error: unknown): InputError {
  const message = error instanceof Error ? error.message : String(error);
  const line = /CSV Error on Line: (\d+)/.exec(message);
  const where = { file, line: line ? Number(line[1]) : undefined };
  const lines = message.split("\n");
  const fixes = lines.findIndex((l) => /^Possible (fixes|solutions?)/i.test(l));
  // The echoed input line comes first: the last description before the fixes is DuckDB's own.
  const described = (fixes < 0 ? lines : lines.slice(0, fixes)).reverse();
  for (const [pattern, explain] of DUCKDB_CSV_PROBLEMS)
    for (const text of described) {
      const match = pattern.exec(text);
      if (match) return new InputError(explain(match), where);
    }
  return new InputError(
    `cannot parse CSV: ${lines[0].replace(/^\w[\w ]* Error: /, "").slice(0, 200)}`,
    where,
  );
}

/** How the lines of a file end: counts of CRLF and lone-LF ends, and the first line ending in a CR without LF. */
interface LineEnds {
  crlf: number;
  lf: number;
  loneCrLine?: number;
}

/**
 * Copies `file` to `copy` without the CR of its CRLF line ends, in one pass that also counts both kinds of line
 * end; stops at the first CR not followed by LF.
 */
function copyWithLfEnds(file: string, copy: string): LineEnds {
  const ends: LineEnds = { crlf: 0, lf: 0 };
  const input = fs.openSync(file, "r");
  const output = fs.openSync(copy, "w");
  const buffer = Buffer.alloc(1 << 20);
  const out = Buffer.alloc(buffer.length);
  let line = 1;
  let afterCr = false;
  try {
    for (let n; (n = fs.readSync(input, buffer, 0, buffer.length, null)) > 0;) {
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const byte = buffer[i];
        if (afterCr && byte !== 0x0a) return { ...ends, loneCrLine: line };
        if (byte === 0x0a) {
          if (afterCr) ends.crlf++;
          else ends.lf++;
          line++;
        }
        afterCr = byte === 0x0d;
        if (!afterCr) out[kept++] = byte;
      }
      fs.writeSync(output, out, 0, kept);
    }
  } finally {
    fs.closeSync(input);
    fs.closeSync(output);
  }
  return afterCr ? { ...ends, loneCrLine: line } : ends;
}

/**
 * Runs `read(file)`, which reads the CSV `file` (or a copy of it given in its place) and names `file` in its errors.
 * DuckDB's strict parser rejects a file whose lines end in both CRLF and LF, naming no line; pandas reads such a
 * file, and relaxing DuckDB's strict mode instead would also let it silently drop extra fields and mangle stray
 * quotes. So only when `read` fails without a line are the line ends looked at, while copying the file to a
 * temporary one with LF line ends (same line numbers): mixed ends are read again from that copy, and a lone CR is
 * reported with its line. Correct files never pay for this; a mixed file pays one copy and one more read.
 */
async function withUniformLineEnds<T>(file: string, read: (source: string) => Promise<T>): Promise<T> {
  try {
    return await read(file);
  } catch (error) {
    if (!(error instanceof InputError) || error.where.line !== undefined) throw error;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-lf-"));
    try {
      const copy = path.join(dir, path.basename(file));
      const ends = copyWithLfEnds(file, copy);
      if (ends.loneCrLine !== undefined)
        throw new InputError(`the line ends in a CR without LF (expected lines ending in CRLF or LF)`, {
          file,
          line: ends.loneCrLine,
        });
      if (ends.crlf === 0 || ends.lf === 0) throw error;
      return await read(copy);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Re-reads `source` (the CSV `file` or a copy of it) with every field as text and returns the first line (in file
 * order) for which `problemSql` (a SQL CASE over fields f1..f5 giving a message or NULL) reports a problem.
 */
async function firstBadLine(
  connection: DuckDBConnection,
  source: string,
  file: string,
  problemSql: string,
): Promise<BadLine | undefined> {
  const columns = "{'f1':'VARCHAR','f2':'VARCHAR','f3':'VARCHAR','f4':'VARCHAR','f5':'VARCHAR'}";
  try {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE diagnostic AS SELECT * FROM read_csv(${sqlString(source)}, columns=${columns},
         header=false, null_padding=true, ${CSV_OPTIONS})`,
    );
    const reader = await connection.runAndReadAll(
      `SELECT (rowid + 1)::INTEGER AS line, problem FROM (SELECT rowid, ${problemSql} AS problem FROM diagnostic)
       WHERE rowid > 0 AND problem IS NOT NULL ORDER BY rowid LIMIT 1`,
    );
    const rows = reader.getRowObjectsJS() as { line: number; problem: string }[];
    if (rows.length === 0) return undefined;
    const [field, problem] = rows[0].problem.split("\t");
    return { line: rows[0].line, field: field || undefined, problem };
  } catch (error) {
    throw duckdbCsvError(file, error);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS diagnostic`);
  }
}

/** SQL: a problem message "field<TAB>what was expected" for a field that must be a positive integer id. */
function idCheck(column: string, name: string): string {
  return `WHEN TRY_CAST(${column} AS INTEGER) IS NULL OR TRY_CAST(${column} AS INTEGER) <= 0
    THEN '${name}\texpected a positive integer ${name}, found "' || coalesce(${column}, '') || '"'`;
}

const RATINGS_PROBLEMS = `CASE
  WHEN f4 IS NULL THEN '\texpected 4 fields (userId,movieId,rating,timestamp), found fewer: truncated line?'
  WHEN f5 IS NOT NULL THEN '\texpected 4 fields (userId,movieId,rating,timestamp), found more'
  ${idCheck("f1", "userId")}
  ${idCheck("f2", "movieId")}
  WHEN TRY_CAST(f3 AS DOUBLE) IS NULL OR TRY_CAST(f3 AS DOUBLE) NOT BETWEEN 0.5 AND 5
       OR TRY_CAST(f3 AS DOUBLE) * 2 <> round(TRY_CAST(f3 AS DOUBLE) * 2)
    THEN 'rating\texpected a rating from 0.5 to 5 in half steps, found "' || coalesce(f3, '') || '"'
  WHEN TRY_CAST(f4 AS INTEGER) IS NULL OR TRY_CAST(f4 AS INTEGER) < ${EARLIEST_TIMESTAMP}
    THEN 'timestamp\texpected Unix seconds from 1995 to 2038, found "' || coalesce(f4, '') || '"'
  ELSE NULL END`;

const MOVIES_PROBLEMS = `CASE
  WHEN f3 IS NULL THEN '\texpected 3 fields (movieId,title,genres), found fewer: truncated line?'
  WHEN f4 IS NOT NULL THEN '\texpected 3 fields (movieId,title,genres; quote titles containing commas), found more'
  ${idCheck("f1", "movieId")}
  WHEN trim(f2) = '' THEN 'title\texpected a non-empty title'
  ELSE NULL END`;

async function throwFirstBadLine(
  connection: DuckDBConnection,
  source: string,
  file: string,
  problemSql: string,
  fallback: InputError,
): Promise<never> {
  const bad = await firstBadLine(connection, source, file, problemSql);
  if (bad) throw new InputError(bad.problem, { file, line: bad.line, field: bad.field });
  throw fallback;
}

/** SQL: true for a parsed ratings row whose values are missing or out of range. */
const RATINGS_ROW_INVALID = `userId IS NULL OR userId <= 0 OR movieId IS NULL OR movieId <= 0 OR rating IS NULL
  OR rating NOT BETWEEN 0.5 AND 5 OR rating * 2 <> round(rating * 2) OR timestamp IS NULL
  OR timestamp < ${EARLIEST_TIMESTAMP}`;

/**
 * Loads ratings.csv into the table `ratings(userId INTEGER, movieId INTEGER, rating FLOAT, timestamp INTEGER)`
 * (rowid = file order; timestamps fit 32 bits until 2038) and validates every row while parsing it: the range
 * checks run inside the same query, which stops at the first invalid row. Returns the row count.
 *
 * @throws InputError naming the file, the first bad line and what was expected.
 */
export async function loadRatingsTable(connection: DuckDBConnection, file: string): Promise<number> {
  checkCsvShape(file, RATINGS_HEADER);
  await withUniformLineEnds(file, async (source) => {
    try {
      await connection.run(
        `CREATE OR REPLACE TABLE ratings AS SELECT * FROM read_csv(${sqlString(source)},
           columns={'userId':'INTEGER','movieId':'INTEGER','rating':'FLOAT','timestamp':'INTEGER'},
           header=true, ${CSV_OPTIONS})
         WHERE CASE WHEN ${RATINGS_ROW_INVALID} THEN error('invalid ratings row') ELSE true END`,
      );
    } catch (error) {
      // The text pass would fail the same way (and cost a full read): leave it to withUniformLineEnds.
      if (UNPLACED_CSV_ERROR.test(String(error))) throw duckdbCsvError(file, error);
      await throwFirstBadLine(connection, source, file, RATINGS_PROBLEMS, duckdbCsvError(file, error));
    }
  });
  const n = Number((await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ratings`)).getRows()[0][0]);
  if (n === 0) throw new InputError(`no data rows after the header`, { file, line: 2 });
  return n;
}

/**
 * Loads movies.csv into the table `movies(movieId INTEGER, title VARCHAR, genres VARCHAR, year INTEGER)`
 * (rowid = file order; year parsed from a trailing "(1995)" in the title, NULL when absent) and validates it:
 * ids positive integers and unique, titles present. Returns the row count.
 */
export async function loadMoviesTable(connection: DuckDBConnection, file: string): Promise<number> {
  checkCsvShape(file, MOVIES_HEADER);
  await withUniformLineEnds(file, async (source) => {
    // movies.csv is small (62k rows in ml-25m): always validated through the text pass.
    const bad = await firstBadLine(connection, source, file, MOVIES_PROBLEMS);
    if (bad) throw new InputError(bad.problem, { file, line: bad.line, field: bad.field });
    try {
      await connection.run(
        `CREATE OR REPLACE TABLE movies AS SELECT movieId, title, coalesce(genres, '') AS genres,
           TRY_CAST(regexp_extract(title, '\\((\\d{4})\\)\\s*$', 1) AS INTEGER) AS year
         FROM read_csv(${sqlString(source)}, columns={'movieId':'INTEGER','title':'VARCHAR','genres':'VARCHAR'},
           header=true, ${CSV_OPTIONS})`,
      );
    } catch (error) {
      throw duckdbCsvError(file, error);
    }
  });
  const duplicate = (
    await connection.runAndReadAll(
      `SELECT movieId, (max(rowid) + 2)::INTEGER AS line FROM movies GROUP BY movieId HAVING count(*) > 1
       ORDER BY line LIMIT 1`,
    )
  ).getRowObjectsJS() as { movieId: number; line: number }[];
  if (duplicate.length > 0)
    throw new InputError(`movieId ${duplicate[0].movieId} appears twice (expected unique movie ids)`, {
      file,
      line: duplicate[0].line,
      field: "movieId",
    });
  const count = (await connection.runAndReadAll(`SELECT count(*)::INTEGER FROM movies`)).getRows()[0][0];
  return Number(count);
}
