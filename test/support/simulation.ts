/**
 * A small synthetic world for the simulation tests: a test population with known relevant movies, and recommenders
 * whose slate quality is set exactly (how many relevant movies each slate holds).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Random } from "../../src/core/random";
import { ensurePreparedDataset } from "../../src/data/ensure";
import { loadPreparedDataset } from "../../src/data/load";
import type { PreparedDataset } from "../../src/data/types";
import { loadRecommender, publishModel } from "../../src/models/artifact";
import { trainBaseline } from "../../src/models/popularity";
import type { Recommendation, Recommender } from "../../src/models/recommender";
import { testPopulation, type TestPopulation } from "../../src/simulation/population";

/** 150 users (ids 1..150), each finding 12 of movies 1..200 relevant (seeded). */
export function syntheticPopulation(): TestPopulation {
  const random = new Random(99);
  const userIds = Array.from({ length: 150 }, (_, i) => i + 1);
  const relevant = new Map<number, Set<number>>();
  for (const userId of userIds) {
    const movies = new Set<number>();
    while (movies.size < 12) movies.add(1 + random.int(200));
    relevant.set(userId, movies);
  }
  return { userIds, relevant, positiveThreshold: 4 };
}

/**
 * A recommender that puts `hits` of the user's relevant movies at seeded positions among irrelevant ones: a
 * deterministic slate per user whose quality is set by `hits`.
 */
export function slateRecommender(name: string, population: TestPopulation, hits: number): Recommender {
  const recommend = (userId: number, k: number): Recommendation => {
    const random = new Random(userId * 7919 + hits);
    const relevant = [...population.relevant.get(userId)!];
    const slate: number[] = [];
    for (let movie = 1000; slate.length < k - hits; movie++) slate.push(movie);
    for (let h = 0; h < hits; h++) slate.splice(random.int(slate.length + 1), 0, relevant[h]);
    return { movieIds: slate, scores: slate.map((_, i) => k - i), fallback: false };
  };
  return {
    name,
    version: `hits-${hits}`,
    recommend,
    recommendBatch: (userIds, k) => userIds.map((u) => recommend(u, k)),
  };
}

/** ml-latest-small prepared in a temporary folder with the global split (a windowed popularity model needs its one
 * end time), with two real popularity models (all-time, and 30-day window named "challenger") published as
 * artifacts, and the simulation's test population. */
export async function movieLensWorld(): Promise<{
  dataDir: string;
  modelsDir: string;
  dataset: PreparedDataset;
  baseline: Recommender;
  challenger: Recommender;
  population: TestPopulation;
}> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "abrec-sim-world-"));
  const dataDir = path.join(root, "data");
  const modelsDir = path.join(root, "models");
  const { dir } = await ensurePreparedDataset({
    dataset: "ml-latest-small",
    split: "global",
    dataDir,
    quiet: true,
  });
  const dataset = await loadPreparedDataset(dir);
  const record = { seed: null, trainingSeconds: 0, metrics: {} };
  const allTime = trainBaseline(dataset, { windowDays: null });
  await publishModel(modelsDir, allTime.parts, dataset.manifest, {
    ...record,
    hyperparameters: { windowDays: null },
  });
  const recent = trainBaseline(dataset, { windowDays: 30 });
  await publishModel(modelsDir, { ...recent.parts, name: "challenger" }, dataset.manifest, {
    ...record,
    hyperparameters: { windowDays: 30 },
  });
  return {
    dataDir,
    modelsDir,
    dataset,
    baseline: await loadRecommender(path.join(modelsDir, "baseline")),
    challenger: await loadRecommender(path.join(modelsDir, "challenger")),
    population: testPopulation(dataset),
  };
}
