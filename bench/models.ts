/**
 * `npm run bench:models`: for ml-latest-small and a synthetic set (25M ratings by default), prints the
 * challenger's TensorFlow.js training seconds per epoch and the process's peak memory, a plain Float32Array
 * BPR-SGD epoch on the same data as the speed reference (and the ratio), and top-10 scoring latency per user over
 * the whole catalogue (median and p99 microseconds).
 *
 * Goals (docs/benchmarks.md): full challenger training on ml-latest-small under 60 s; one epoch at 25M ratings under 5 min;
 * top-10 over 62k movies under 2 ms p99.
 *
 * usage: tsx bench/models.ts [--ratings N] [--skip-large] [--large-batches N] [--data-dir DIR]
 *   --large-batches N  time N batches of the large epoch and extrapolate (printed as such): the challenger trains
 *                      one epoch on N x batch size positives drawn at random from the training period, with the
 *                      whole dataset's users and movies (the tables a batch reads and updates), and the time per
 *                      batch is scaled to the whole epoch's batches, the shuffle to all its positives.
 */
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_DATA_DIR } from "../src/core/paths";
import { Random } from "../src/core/random";
import { ensurePreparedDataset } from "../src/data/ensure";
import { loadPreparedDataset } from "../src/data/load";
import type { DatasetName, InteractionColumns, PreparedDataset } from "../src/data/types";
import { DEFAULT_CHALLENGER, trainChallenger } from "../src/models/challenger/train";
import { FactorRecommender } from "../src/models/factor-recommender";
import { referenceBprEpochSeconds } from "./reference-bpr";

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * Latency of recommend(u, 10) for `n` random known users, in microseconds: wall time, and CPU time of this
 * process (which excludes time spent waiting for a core on a loaded machine).
 */
function scoringLatency(
  model: FactorRecommender,
  n: number,
): { medianUs: number; p99Us: number; cpuMedianUs: number; cpuP99Us: number } {
  const rng = new Random(5);
  const users = model.parts.userIds;
  for (let j = 0; j < 50; j++) model.recommend(users[rng.int(users.length)], 10); // warm-up (JIT)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let j = 0; j < n; j++) {
    const user = users[rng.int(users.length)];
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    model.recommend(user, 10);
    wall.push(Number(process.hrtime.bigint() - start) / 1000);
    const used = process.cpuUsage(cpuStart);
    cpu.push(used.user + used.system);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    medianUs: quantile(wall, 0.5),
    p99Us: quantile(wall, 0.99),
    cpuMedianUs: quantile(cpu, 0.5),
    cpuP99Us: quantile(cpu, 0.99),
  };
}

async function load(dataset: DatasetName, dataDir: string, ratings?: number): Promise<PreparedDataset> {
  const { dir } = await ensurePreparedDataset({ dataset, dataDir, ratings, quiet: false });
  return loadPreparedDataset(dir);
}

/**
 * `data` with its training period cut to `count` of its positives drawn at random (same users, movies, cutoff
 * and test period): an epoch over it is `count / batchSize` batches over the full-size tables.
 */
function withSampledPositives(data: PreparedDataset, count: number): PreparedDataset {
  const { train, manifest } = data;
  let total = 0;
  for (let row = 0; row < train.length; row++) if (train.rating[row] >= manifest.positiveThreshold) total++;
  const positives = new Int32Array(total);
  for (let row = 0, k = 0; row < train.length; row++)
    if (train.rating[row] >= manifest.positiveThreshold) positives[k++] = row;
  // The first n of a partial Fisher-Yates shuffle: n distinct positives, uniformly.
  const rng = new Random(7);
  const n = Math.min(count, total);
  for (let k = 0; k < n; k++) {
    const swap = k + rng.int(total - k);
    [positives[k], positives[swap]] = [positives[swap], positives[k]];
  }
  const rows = positives.subarray(0, n);
  const sampled: InteractionColumns = {
    length: n,
    userIndex: Int32Array.from(rows, (row) => train.userIndex[row]),
    movieIndex: Int32Array.from(rows, (row) => train.movieIndex[row]),
    rating: Float32Array.from(rows, (row) => train.rating[row]),
    timestamp: Float64Array.from(rows, (row) => train.timestamp[row]),
  };
  return { ...data, train: sampled };
}

async function benchmark(
  label: string,
  data: PreparedDataset,
  epochs: number,
  maxBatches?: number,
): Promise<void> {
  const positives = data.train.rating.filter((r) => r >= data.manifest.positiveThreshold).length;
  console.log(
    `\n## ${label}: ${data.train.length} training ratings (${positives} positives), ` +
      `${data.userIds.length} users, ${data.movies.length} movies`,
  );
  const batchesPerEpoch = Math.ceil(positives / DEFAULT_CHALLENGER.batchSize);
  const partial = maxBatches !== undefined && maxBatches < batchesPerEpoch;
  const trained = partial ? withSampledPositives(data, maxBatches * DEFAULT_CHALLENGER.batchSize) : data;
  const trainedPositives = partial ? trained.train.length : positives;
  const cpuBefore = process.cpuUsage();
  const training = await trainChallenger(trained, { maxEpochs: epochs }, { quiet: false });
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // A partial epoch is extrapolated to the whole one: its batches scaled to the epoch's batches, its shuffle
  // (linear in the positives) to all the positives.
  const shuffleScale = positives / trainedPositives;
  const measured = training.history.map(
    (r) => r.shuffleSeconds * shuffleScale + ((r.seconds - r.shuffleSeconds) * batchesPerEpoch) / r.batches,
  );
  const epochSeconds = measured.reduce((a, b) => a + b, 0) / measured.length;
  const shuffle =
    (training.history.reduce((a, r) => a + r.shuffleSeconds, 0) / training.history.length) * shuffleScale;
  console.log(
    `TensorFlow.js (${DEFAULT_CHALLENGER.dim} dims, ${DEFAULT_CHALLENGER.negatives} negatives ` +
      `(α ${DEFAULT_CHALLENGER.negativeSamplingExponent}), ` +
      `batch ${DEFAULT_CHALLENGER.batchSize}, wasm): ` +
      `${epochSeconds.toFixed(2)} s/epoch` +
      (partial
        ? ` (extrapolated from ${training.history[0].batches} of ${batchesPerEpoch} batches)`
        : ` (mean of ${measured.length})`) +
      ` including a ${shuffle.toFixed(1)} s shuffle` +
      `, whole training ${training.trainingSeconds.toFixed(1)} s wall / ${cpuSeconds.toFixed(1)} s CPU` +
      (partial ? ` on the ${trainedPositives} sampled positives` : ""),
  );
  const referenceSeconds = referenceBprEpochSeconds(data, {
    dim: DEFAULT_CHALLENGER.dim,
    negatives: DEFAULT_CHALLENGER.negatives,
    negativeSamplingExponent: DEFAULT_CHALLENGER.negativeSamplingExponent,
  });
  console.log(
    `reference Float32Array BPR-SGD: ${referenceSeconds.toFixed(2)} s/epoch; ` +
      `ratio TensorFlow.js / reference = ${(epochSeconds / referenceSeconds).toFixed(1)}`,
  );
  const latency = scoringLatency(training.model, 2000);
  console.log(
    `top-10 over ${data.movies.length} movies: wall median ${latency.medianUs.toFixed(0)} us, p99 ` +
      `${latency.p99Us.toFixed(0)} us; CPU median ${latency.cpuMedianUs.toFixed(0)} us, p99 ${latency.cpuP99Us.toFixed(0)} us`,
  );
  console.log(
    `peak RSS so far: ${peakRssMiB().toFixed(0)} MiB; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
}

async function main(): Promise<void> {
  const dataDir = path.resolve(argument("--data-dir") ?? DEFAULT_DATA_DIR);
  const ratings = Number(argument("--ratings") ?? 25_000_000);
  const largeBatches = argument("--large-batches");
  console.log(
    `# bench:models (${new Date().toISOString()}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} ` +
      `on ${os.cpus().length} cores: wall times include waiting for the CPU)`,
  );
  await benchmark("ml-latest-small", await load("ml-latest-small", dataDir), 3);
  if (!process.argv.includes("--skip-large"))
    await benchmark(
      `synthetic ${ratings} ratings`,
      await load("synthetic", dataDir, ratings),
      1,
      largeBatches !== undefined ? Number(largeBatches) : undefined,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
