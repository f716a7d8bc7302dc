import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { csvField, csvRow, csvTable } from "../../src/core/csv";
import { openDatabase, sqlString } from "../../src/data/duckdb";

// The expected fields are RFC 4180 section 2's own examples (https://www.rfc-editor.org/rfc/rfc4180#section-2):
// rule 6 quotes a field holding CRLF or a comma ("aaa","b CRLF bb","ccc"), rule 7 doubles an inner quote
// ("aaa","b""bb","ccc"). Fields without those characters are written bare (rule 5: quotes are optional).
test("fields with a comma, a double quote, CR or LF are quoted and inner quotes doubled (RFC 4180 rules 5-7)", () => {
  assert.equal(csvField("aaa"), "aaa");
  assert.equal(csvField("b\r\nbb"), '"b\r\nbb"');
  assert.equal(csvField('b"bb'), '"b""bb"');
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField("line\nbreak"), '"line\nbreak"');
  assert.equal(csvField("carriage\rreturn"), '"carriage\rreturn"');
  assert.equal(csvField(""), "");
  assert.equal(csvField(null), "");
  assert.equal(csvField(undefined), "");
  assert.equal(csvField(0.07), "0.07");
  assert.equal(csvRow(["aaa", 'b"bb', "ccc"]), 'aaa,"b""bb",ccc');
  assert.equal(csvTable(["field_name", "field_name"], [["aaa", "bbb"]]), "field_name,field_name\naaa,bbb\n");
});

test("DuckDB's CSV reader reads back exactly the fields written, commas, quotes and line breaks included", async () => {
  const fields = [
    "plain",
    "Heat, The (1995)",
    'say "hi"',
    "two\nlines",
    "cr\rhere",
    "crlf\r\nhere",
    '",\r\n',
  ];
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "abrec-csv-")), "fields.csv");
  fs.writeFileSync(
    file,
    csvTable(
      ["id", "text"],
      fields.map((text, id) => [id, text]),
    ),
  );
  const db = await openDatabase({ threads: 1 });
  try {
    const reader = await db.connection.runAndReadAll(
      `SELECT text FROM read_csv(${sqlString(file)}, header = true, quote = '"', escape = '"',
         columns = {'id': 'INTEGER', 'text': 'VARCHAR'}) ORDER BY id`,
    );
    assert.deepEqual(
      reader.getRows().map((row) => row[0]),
      fields,
    );
  } finally {
    db.close();
  }
});
