/**
 * The speed reference for the challenger: one epoch of plain BPR-SGD (Rendle et al. 2009, Algorithm 1) on
 * Float32Arrays, same positives, embedding width, negatives per positive and negative sampler
 * (../src/models/challenger/negative-sampler.ts) as the TensorFlow.js model but without side features or Adam.
 * Only its time is used.
 */
import type { PreparedDataset } from "../src/data/types";
import { Random } from "../src/core/random";
import { negativeSampler } from "../src/models/challenger/negative-sampler";

/** Runs one SGD epoch over the positives before the cutoff; returns the seconds it took. */
export function referenceBprEpochSeconds(
  dataset: PreparedDataset,
  options: {
    dim: number;
    negatives: number;
    negativeSamplingExponent: number;
    learningRate?: number;
    l2?: number;
    seed?: number;
  },
): number {
  const { dim, negatives } = options;
  const lr = options.learningRate ?? 0.05;
  const reg = options.l2 ?? 0.01;
  const rng = new Random(options.seed ?? 1);
  const nUsers = dataset.userIds.length;
  const nMovies = dataset.movies.length;
  const P = Float32Array.from({ length: nUsers * dim }, () => rng.normal() * 0.1);
  const Q = Float32Array.from({ length: nMovies * dim }, () => rng.normal() * 0.1);
  const B = new Float32Array(nMovies);
  const { train, manifest } = dataset;
  const positivesPerMovie = new Int32Array(nMovies);
  for (let row = 0; row < train.length; row++)
    if (train.rating[row] >= manifest.positiveThreshold) positivesPerMovie[train.movieIndex[row]]++;
  const started = performance.now();
  const drawNegative = negativeSampler(rng, positivesPerMovie, options.negativeSamplingExponent);
  for (let row = 0; row < train.length; row++) {
    if (train.rating[row] < manifest.positiveThreshold) continue;
    const u = train.userIndex[row] * dim;
    const i = train.movieIndex[row];
    for (let n = 0; n < negatives; n++) {
      const j = drawNegative();
      let x = B[i] - B[j];
      for (let f = 0; f < dim; f++) x += P[u + f] * (Q[i * dim + f] - Q[j * dim + f]);
      const g = 1 / (1 + Math.exp(x));
      B[i] += lr * (g - reg * B[i]);
      B[j] += lr * (-g - reg * B[j]);
      for (let f = 0; f < dim; f++) {
        const pu = P[u + f];
        const qi = Q[i * dim + f];
        const qj = Q[j * dim + f];
        P[u + f] += lr * (g * (qi - qj) - reg * pu);
        Q[i * dim + f] += lr * (g * pu - reg * qi);
        Q[j * dim + f] += lr * (-g * pu - reg * qj);
      }
    }
  }
  return (performance.now() - started) / 1000;
}
