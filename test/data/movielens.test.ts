import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/core/errors";
import { openDatabase } from "../../src/data/duckdb";
import { loadMoviesTable, loadRatingsTable } from "../../src/data/movielens";

const RATINGS_HEADER = "userId,movieId,rating,timestamp";
const MOVIES_HEADER = "movieId,title,genres";

/** Writes `lines` joined with CRLF (as in the GroupLens files), with a final line break unless `cut`. */
function writeCsv(
  lines: string[],
  options: { cut?: boolean; name?: string; lfLines?: number[] } = {},
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-ml-"));
  const file = path.join(dir, options.name ?? "ratings.csv");
  // lfLines: line numbers that end in LF alone, as after editing one line of a CRLF file.
  const ends: string[] = lines.map((_, i) => (options.lfLines?.includes(i + 1) ? "\n" : "\r\n"));
  if (options.cut) ends[ends.length - 1] = "";
  fs.writeFileSync(file, lines.map((line, i) => line + ends[i]).join(""));
  return file;
}

const goodRatings = [
  RATINGS_HEADER,
  "1,1,4.0,964982703",
  "1,3,0.5,964981247",
  "2,2,5,1445714835",
  "3,1,3.5,1445714836",
];

async function ratingsError(
  lines: string[],
  options: { cut?: boolean; threads?: number; lfLines?: number[] } = {},
): Promise<InputError> {
  const file = writeCsv(lines, options);
  const db = await openDatabase({ threads: options.threads ?? 1 });
  try {
    await loadRatingsTable(db.connection, file);
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.ok(error.where.file === file && error.message.startsWith(file), "the message names the file");
    return error;
  } finally {
    db.close();
  }
  assert.fail("expected loadRatingsTable to throw");
}

function withLine(lines: string[], lineNumber: number, replacement: string): string[] {
  const copy = [...lines];
  copy[lineNumber - 1] = replacement;
  return copy;
}

test("valid ratings load with CRLF line ends and every row counted", async () => {
  const db = await openDatabase({ threads: 1 });
  try {
    assert.equal(await loadRatingsTable(db.connection, writeCsv(goodRatings)), 4);
    const rows = (await db.connection.runAndReadAll("SELECT * FROM ratings ORDER BY rowid")).getRowsJS();
    assert.deepEqual(rows[2], [2, 2, 5, 1445714835]);
  } finally {
    db.close();
  }
});

test("ratings whose lines end in both CRLF and LF (one line edited) load with every row and value", async () => {
  const expected = [
    [1, 1, 4, 964982703],
    [1, 3, 0.5, 964981247],
    [2, 2, 5, 1445714835],
    [3, 1, 3.5, 1445714836],
  ];
  // An edited data line, an edited last line, and an edited header.
  for (const lfLines of [[3], [5], [1, 3]]) {
    const db = await openDatabase({ threads: 1 });
    try {
      assert.equal(
        await loadRatingsTable(db.connection, writeCsv(goodRatings, { lfLines })),
        4,
        `${lfLines}`,
      );
      const rows = (await db.connection.runAndReadAll("SELECT * FROM ratings ORDER BY rowid")).getRowsJS();
      assert.deepEqual(rows, expected, `${lfLines}`);
    } finally {
      db.close();
    }
  }
});

test("in a file with mixed line ends, a broken line is still named by its line number and field", async () => {
  const fewer = await ratingsError(withLine(goodRatings, 4, "2,2"), { lfLines: [2] });
  assert.equal(fewer.where.line, 4);
  assert.match(fewer.message, /expected 4 fields .* found fewer/);
  const text = await ratingsError(withLine(goodRatings, 5, "3,1,good,1445714836"), { lfLines: [3] });
  assert.deepEqual(text.where, { file: text.where.file, line: 5, field: "rating" });
  assert.match(text.message, /from 0\.5 to 5 in half steps, found "good"$/);
});

test("a large CRLF file with one LF line deep inside loads in parallel with every row", async () => {
  const lines = [RATINGS_HEADER];
  for (let i = 0; i < 500_000; i++) lines.push(`${1 + (i % 97)},${1 + (i % 31)},4.0,${964982703 + i}`);
  lines[400_001 - 1] = "7,8,2.5,964982703";
  const db = await openDatabase({ threads: 2 });
  try {
    assert.equal(await loadRatingsTable(db.connection, writeCsv(lines, { lfLines: [400_001] })), 500_000);
    const edited = await db.connection.runAndReadAll("SELECT * FROM ratings WHERE rating = 2.5");
    assert.deepEqual(edited.getRowsJS(), [[7, 8, 2.5, 964982703]]);
  } finally {
    db.close();
  }
});

test("CSV structure errors name the file, the line and what was expected, in one line (no DuckDB dump)", async () => {
  const cases: [string[], number, RegExp][] = [
    [withLine(goodRatings, 3, '1,"3,0.5,964981247'), 3, /unbalanced double quotes \(expected quotes around/],
    [withLine(goodRatings, 4, '2,"2"x,5,1445714835'), 4, /unbalanced double quotes/],
  ];
  for (const [lines, line, message] of cases) {
    const error = await ratingsError(lines);
    assert.equal(error.where.line, line);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n|Possible|strict_mode/);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-ml-"));
  const latin1 = path.join(dir, "ratings.csv");
  fs.writeFileSync(
    latin1,
    Buffer.from(`${RATINGS_HEADER}\r\n1,1,4.0,964982703\r\n2,\xe9,5,1445714835\r\n`, "latin1"),
  );
  const loneCr = writeCsv([RATINGS_HEADER, "1,1,4.0,964982703\r2,2,5,1445714835"]);
  const db = await openDatabase({ threads: 1 });
  try {
    await assert.rejects(loadRatingsTable(db.connection, latin1), (error: Error) => {
      assert.equal(error.message, `${latin1}:3: not UTF-8 text (expected a UTF-8 encoded CSV file)`);
      return true;
    });
    await assert.rejects(loadRatingsTable(db.connection, loneCr), (error: Error) => {
      assert.equal(
        error.message,
        `${loneCr}:2: the line ends in a CR without LF (expected lines ending in CRLF or LF)`,
      );
      return true;
    });
  } finally {
    db.close();
  }
});

test("a missing ratings file is named", async () => {
  const db = await openDatabase({ threads: 1 });
  try {
    await assert.rejects(loadRatingsTable(db.connection, "/nonexistent/ratings.csv"), (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^\/nonexistent\/ratings\.csv: file not found/);
      return true;
    });
  } finally {
    db.close();
  }
});

test("an empty file and a header-only file are rejected", async () => {
  const empty = writeCsv([], { cut: true });
  const db = await openDatabase({ threads: 1 });
  try {
    await assert.rejects(loadRatingsTable(db.connection, empty), /:1: empty file, expected the header/);
  } finally {
    db.close();
  }
  const error = await ratingsError([RATINGS_HEADER]);
  assert.equal(error.where.line, 2);
  assert.match(error.message, /no data rows/);
});

test("a wrong or missing header names line 1 and the expected header", async () => {
  const wrong = await ratingsError(withLine(goodRatings, 1, "user,movie,rating,timestamp"));
  assert.equal(wrong.where.line, 1);
  assert.match(
    wrong.message,
    /expected "userId,movieId,rating,timestamp", found "user,movie,rating,timestamp"/,
  );
  const missing = await ratingsError(goodRatings.slice(1));
  assert.equal(missing.where.line, 1);
  assert.match(missing.message, /wrong or missing header/);
});

test("a non-numeric id names its line and field", async () => {
  const user = await ratingsError(withLine(goodRatings, 4, "x2,2,5,1445714835"));
  assert.deepEqual(user.where, { file: user.where.file, line: 4, field: "userId" });
  assert.match(user.message, /expected a positive integer userId, found "x2"/);
  const movie = await ratingsError(withLine(goodRatings, 3, "1,abc,0.5,964981247"));
  assert.equal(movie.where.line, 3);
  assert.equal(movie.where.field, "movieId");
});

test("ratings outside 0.5..5 or between half steps are rejected with their line", async () => {
  for (const bad of ["5.5", "0", "-1", "3.7", "four"]) {
    const error = await ratingsError(withLine(goodRatings, 5, `3,1,${bad},1445714836`));
    assert.equal(error.where.line, 5, bad);
    assert.equal(error.where.field, "rating", bad);
    assert.match(error.message, new RegExp(`from 0.5 to 5 in half steps, found "${bad}"`));
  }
});

test("the first of several bad lines is reported, even in a file DuckDB reads in parallel", async () => {
  const lines = [RATINGS_HEADER];
  // ~12 MB: several of DuckDB's CSV buffers, so two threads read different parts of the file.
  for (let i = 0; i < 500_000; i++) lines.push(`${1 + (i % 97)},${1 + (i % 31)},4.0,${964982703 + i}`);
  lines[480_001 - 1] = "7,8,1.0,9";
  lines[300_001 - 1] = "7,8,9.0,964982703";
  const error = await ratingsError(lines, { threads: 2 });
  assert.equal(error.where.line, 300_001);
  assert.equal(error.where.field, "rating");
});

test("a truncated file (last line cut short) is rejected", async () => {
  const cutMidNumber = await ratingsError([...goodRatings, "4,7,4.0,96498"], { cut: true });
  assert.match(cutMidNumber.message, /truncated file/);
  const cutFields = await ratingsError([...goodRatings, "4,7"]);
  assert.equal(cutFields.where.line, 6);
  assert.match(cutFields.message, /expected 4 fields .* found fewer/);
  const cutTimestamp = await ratingsError([...goodRatings, "4,7,4.0,96498"]);
  assert.equal(cutTimestamp.where.field, "timestamp");
  assert.match(cutTimestamp.message, /Unix seconds from 1995 to 2038, found "96498"/);
});

test("an extra field is rejected", async () => {
  const error = await ratingsError(withLine(goodRatings, 2, "1,1,4.0,964982703,9"));
  assert.equal(error.where.line, 2);
  assert.match(error.message, /found more/);
});

test("movies.csv: quoted titles with commas parse, years and genres are kept", async () => {
  const file = writeCsv(
    [
      MOVIES_HEADER,
      "1,Toy Story (1995),Adventure|Animation",
      '11,"American President, The (1995)",Comedy|Drama|Romance',
      "99,Untitled,(no genres listed)",
    ],
    { name: "movies.csv" },
  );
  const db = await openDatabase({ threads: 1 });
  try {
    assert.equal(await loadMoviesTable(db.connection, file), 3);
    const rows = (await db.connection.runAndReadAll("SELECT * FROM movies ORDER BY rowid")).getRowsJS();
    assert.deepEqual(rows[1], [11, "American President, The (1995)", "Comedy|Drama|Romance", 1995]);
    assert.deepEqual(rows[2], [99, "Untitled", "(no genres listed)", null]);
  } finally {
    db.close();
  }
});

test("movies.csv with mixed line ends loads, genres without a stray CR", async () => {
  const file = writeCsv(
    [MOVIES_HEADER, '1,"Heat, The (1995)",Action', "2,Jumanji (1995),Children", "3,X (1999),Drama|Comedy"],
    { name: "movies.csv", lfLines: [2, 4] },
  );
  const db = await openDatabase({ threads: 1 });
  try {
    assert.equal(await loadMoviesTable(db.connection, file), 3);
    const rows = (await db.connection.runAndReadAll("SELECT * FROM movies ORDER BY rowid")).getRowsJS();
    assert.deepEqual(rows, [
      [1, "Heat, The (1995)", "Action", 1995],
      [2, "Jumanji (1995)", "Children", 1995],
      [3, "X (1999)", "Drama|Comedy", 1999],
    ]);
  } finally {
    db.close();
  }
});

test("movies.csv: a non-numeric or duplicate movieId and an unquoted comma are rejected", async () => {
  const cases: [string[], number, RegExp][] = [
    [[MOVIES_HEADER, "1,A (1995),Drama", "b,B (1996),Drama"], 3, /positive integer movieId, found "b"/],
    [[MOVIES_HEADER, "1,A (1995),Drama", "1,B (1996),Drama"], 3, /movieId 1 appears twice/],
    [[MOVIES_HEADER, "1,A (1995),Drama", "2,Cry, the Country (1995),Drama"], 3, /found more/],
    [[MOVIES_HEADER, '1,"Heat" The (1995),Action', "2,B (1996),Drama"], 2, /unbalanced double quotes/],
  ];
  for (const [lines, line, message] of cases) {
    const file = writeCsv(lines, { name: "movies.csv" });
    const db = await openDatabase({ threads: 1 });
    try {
      await assert.rejects(loadMoviesTable(db.connection, file), (error: Error) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.where.line, line);
        assert.match(error.message, message);
        return true;
      });
    } finally {
      db.close();
    }
  }
});
