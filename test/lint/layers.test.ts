/**
 * The layer rule of eslint.config.mjs, run through ESLint's own API on planted files: an upward import fails with
 * the rule's message, a downward or same-layer import passes. The whole tree passing is `npm run lint`'s job.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { ESLint } from "eslint";

const ROOT = path.resolve(__dirname, "../..");

async function layerErrors(filePath: string, source: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(source, { filePath: path.join(ROOT, filePath) });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

test("a lower layer importing a higher one fails lint, naming the rule", async () => {
  const planted: [string, string][] = [
    [
      "src/data/planted.ts",
      'import { MODEL_NAMES } from "../models/trained-models";\nexport const x = MODEL_NAMES;\n',
    ],
    [
      "src/serving/planted.ts",
      'import { startServing } from "../deployment/serve";\nexport const x = startServing;\n',
    ],
    [
      "src/stats/planted.ts",
      'import { simulate } from "../simulation/simulate";\nexport const x = simulate;\n',
    ],
    [
      "mock-site/planted.ts",
      'import { startServing } from "../src/deployment/serve";\nexport const x = startServing;\n',
    ],
    ["src/core/planted.ts", 'import type { Movie } from "../data/types";\nexport type X = Movie;\n'],
    ["src/pipeline/planted.ts", 'import * as cli from "../cli/index";\nexport const x = cli;\n'],
  ];
  for (const [file, source] of planted) {
    const errors = await layerErrors(file, source);
    assert.equal(errors.length, 1, `${file}: ${JSON.stringify(errors)}`);
    assert.match(errors[0], /a lower layer never imports a higher one/);
  }
});

test("imports of the same or a lower layer pass", async () => {
  const allowed: [string, string][] = [
    ["src/models/planted.ts", 'import type { Movie } from "../data/types";\nexport type X = Movie;\n'],
    [
      "src/deployment/planted.ts",
      'import { createSiteApp } from "../../mock-site/app";\nexport const x = createSiteApp;\n',
    ],
    [
      "mock-site/planted.ts",
      'import { feedbackRequest } from "../src/serving/seldon";\nexport const x = feedbackRequest;\n',
    ],
    [
      "src/cli/planted.ts",
      'import { startServing } from "../deployment/serve";\nexport const x = startServing;\n',
    ],
  ];
  for (const [file, source] of allowed) assert.deepEqual(await layerErrors(file, source), [], file);
});
