import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { twoProportionZTest } from "../../src/stats/proportions-test";
import { clickModelParameters } from "../../src/simulation/click-model";
import { inProcessTransport } from "../../src/simulation/in-process";
import { runSimulation } from "../../src/simulation/visit-loop";
import { slateRecommender, syntheticPopulation } from "../support/simulation";

test("A/A: the same model in both arms is significant at alpha 0.05 in at most 20 of 200 seeds", async () => {
  // Under H0 the number of seeds with p < 0.05 is Binomial(200, 0.05): mean 10, P(X >= 21) = 0.0012 and
  // P(X = 0) = 3.5e-5 (binomial pmf summed with jstat), so 1..20 significant seeds is what a correct
  // simulation and test give, and more than 20 (the "large majority", >= 90%, not significant) would flag bias.
  const population = syntheticPopulation();
  const model = slateRecommender("baseline", population, 2);
  const parameters = clickModelParameters(0.2, { slateLength: 10, patience: 0.85, noiseRatio: 0.05 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-aa-"));
  const pValues: number[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const summary = await runSimulation({
      population,
      parameters,
      visits: 2248, // the designed sample, 2 x 1124
      seed,
      transport: inProcessTransport({
        variants: [
          { name: "a", recommender: model },
          { name: "b", recommender: model },
        ],
        slateLength: 10,
        seed,
      }),
      journalFile: path.join(dir, `aa-${seed}.jsonl`),
      quiet: true,
    });
    const [a, b] = summary.variants;
    pValues.push(
      twoProportionZTest({
        control: { units: a.visits, clicks: a.clicks },
        treatment: { units: b.visits, clicks: b.clicks },
      }).pValue,
    );
  }
  const significant = pValues.filter((p) => p < 0.05).length;
  assert.ok(significant >= 1 && significant <= 20, `${significant} of 200 A/A runs significant`);
});
