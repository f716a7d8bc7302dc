import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../../src/core/random";
import { useBackend } from "../../../src/models/challenger/tensorflow";
import { bprLossAndGradients, type BprBatch } from "../../../src/models/challenger/bpr-loss";
import { adamTable, gatherTableRows, sumDuplicateRows } from "../../../src/models/challenger/lazy-adam";
import { joinColumns, splitColumns } from "../../../src/models/challenger/columns";

const nUsers = 5;
const nMovies = 7;
const nFeatures = 4;
const dim = 3;
const negatives = 2;
const rng = new Random(21);
const randomArray = (n: number, scale = 0.5) => Float32Array.from({ length: n }, () => rng.normal() * scale);
const P = randomArray(nUsers * dim);
const E = randomArray(nMovies * dim);
const c = randomArray(nMovies);
const W = randomArray(nFeatures * dim);
const v = randomArray(nFeatures);
const F = Float32Array.from({ length: nMovies * nFeatures }, () => (rng.bernoulli(0.4) ? 1 : 0));
// Duplicates on purpose: user 1 twice; movie 3 as a positive and a negative; movie 5 three times.
const users = Int32Array.of(1, 4, 1);
const items = Int32Array.of(3, 0, 5, 5, 3, 6, 2, 5, 1);
const weights = Float32Array.of(1, 0.5, 2);
const l2 = 0.01;

function rowBatch(): BprBatch {
  return {
    size: users.length,
    negatives,
    dim,
    nFeatures,
    userRows: gatherTableRows(
      adamTable(joinColumns(P, dim, new Float32Array(nUsers).fill(1), 1), dim + 1),
      users,
    ),
    itemRows: gatherTableRows(adamTable(joinColumns(E, dim, c, 1), dim + 1), items),
    featureRows: gatherTableRows(adamTable(F, nFeatures), items),
    weights,
    featureWeights: joinColumns(W, dim, v, 1),
    l2,
  };
}

/**
 * The same loss written independently on the whole tables, rows selected by one-hot matrices (whose gradient is
 * the exact dense table gradient on any backend), with plain tf.matMul for the side features.
 */
function tableLossAndGradients() {
  return tf.tidy(() => {
    const size = users.length;
    const select = (indices: Int32Array, depth: number) =>
      tf.oneHot(tf.tensor1d(indices, "int32"), depth).toFloat() as tf.Tensor2D;
    const userSelect = select(users, nUsers);
    const posSelect = select(items.subarray(0, size), nMovies);
    const negSelect = select(items.subarray(size), nMovies);
    const features = tf.tensor2d(F, [nMovies, nFeatures]);
    const f = (...tables: tf.Tensor[]): tf.Scalar => {
      const [p, e, bias, w, fv] = tables as tf.Tensor2D[];
      const q = e.add(tf.matMul(features, w)) as tf.Tensor2D;
      const b = bias.add(tf.matMul(features, fv)) as tf.Tensor2D;
      const u = tf.matMul(userSelect, p);
      const qi = tf.matMul(posSelect, q);
      const qj = tf.matMul(negSelect, q).reshape([size, negatives, dim]);
      const xi = u.mul(qi).sum(1, true).add(tf.matMul(posSelect, b));
      const xj = u
        .expandDims(1)
        .mul(qj)
        .sum(2)
        .add(tf.matMul(negSelect, b).reshape([size, negatives]));
      // −log σ(xi − xj) = softplus(xj − xi)
      const bpr = tf
        .softplus(xj.sub(xi))
        .mul(tf.tensor2d(weights, [size, 1]))
        .mean();
      return bpr.add(
        tf.addN([u.square().sum(), qi.square().sum(), qj.square().sum()]).mul(l2 / size),
      ) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)([
      tf.tensor2d(P, [nUsers, dim]),
      tf.tensor2d(E, [nMovies, dim]),
      tf.tensor2d(c, [nMovies, 1]),
      tf.tensor2d(W, [nFeatures, dim]),
      tf.tensor2d(v, [nFeatures, 1]),
    ]);
    return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let k = 0; k < actual.length; k++)
    assert.ok(Math.abs(actual[k] - expected[k]) <= 1e-5, `${label}[${k}]: ${actual[k]} vs ${expected[k]}`);
}

/** Scatters summed row gradients into a zero table (rows the batch did not touch stay 0). */
function scatter(indices: Int32Array, rows: Float32Array, width: number, nRows: number): Float32Array {
  const summed = sumDuplicateRows({ indices, rows }, width, new Int32Array(nRows).fill(-1));
  const table = new Float32Array(nRows * width);
  summed.indices.forEach((index, k) =>
    table.set(summed.rows.subarray(k * width, (k + 1) * width), index * width),
  );
  return table;
}

for (const backend of ["wasm", "cpu"] as const)
  test(`${backend}: row gradients, duplicates summed, equal the gradients of the whole tables`, async () => {
    await useBackend(backend);
    const rows = bprLossAndGradients(rowBatch());
    const tables = tableLossAndGradients();
    assert.ok(Math.abs(rows.loss - tables.loss) < 1e-5, `loss ${rows.loss} vs ${tables.loss}`);
    const [dP, dConstant] = splitColumns(scatter(users, rows.userRows, dim + 1, nUsers), dim + 1, dim);
    assertClose(dP, tables.grads[0], "P");
    assert.deepEqual(dConstant, new Float32Array(nUsers), "the constant column's gradient is 0");
    const [dE, dc] = splitColumns(scatter(items, rows.itemRows, dim + 1, nMovies), dim + 1, dim);
    assertClose(dE, tables.grads[1], "E");
    assertClose(dc, tables.grads[2], "c");
    const [dW, dv] = splitColumns(rows.featureWeights, dim + 1, dim);
    assertClose(dW, tables.grads[3], "W");
    assertClose(dv, tables.grads[4], "v");
    // Users 0, 2, 3 and movie 4 are in no pair: the table gradient of their rows is 0, so skipping them is exact.
    for (const u of [0, 2, 3])
      assertClose(tables.grads[0].subarray(u * dim, (u + 1) * dim), [0, 0, 0], "P row");
    assertClose(tables.grads[1].subarray(4 * dim, 5 * dim), [0, 0, 0], "E row 4");
  });

test("inputs of the wrong shape are refused", async () => {
  await useBackend("wasm");
  const before = tf.memory().numTensors;
  assert.throws(() => bprLossAndGradients({ ...rowBatch(), itemRows: new Float32Array(3) }), RangeError);
  assert.throws(() => bprLossAndGradients({ ...rowBatch(), weights: new Float32Array(2) }), RangeError);
  bprLossAndGradients(rowBatch());
  assert.equal(tf.memory().numTensors, before, "a batch leaves no tensor behind");
});
