import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Random } from "../../../src/core/random";
import { useBackend } from "../../../src/models/challenger/tensorflow";
import {
  adamTable,
  denseAdamStep,
  gatherTableRows,
  lazyAdamStep,
  sumDuplicateRows,
  tableValues,
  TFJS_ADAM_DEFAULTS,
  type AdamSettings,
} from "../../../src/models/challenger/lazy-adam";

const settings: AdamSettings = { ...TFJS_ADAM_DEFAULTS, learningRate: 0.05 };
const randomArray = (rng: Random, n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** |a − b| <= tolerance · max(1, |b|) element-wise. */
function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let k = 0; k < actual.length; k++)
    assert.ok(
      Math.abs(actual[k] - expected[k]) <= tolerance * Math.max(1, Math.abs(expected[k])),
      `${label}[${k}]: ${actual[k]} vs ${expected[k]}`,
    );
}

test("touching every row at every step, lazy Adam equals tf.train.adam (dense) step for step", async () => {
  await useBackend("wasm");
  const rng = new Random(11);
  const rows = 6;
  const width = 3;
  const initial = randomArray(rng, rows * width);
  const table = adamTable(Float32Array.from(initial), width);
  const variable = tf.variable(tf.tensor2d(initial, [rows, width]));
  const optimizer = tf.train.adam(settings.learningRate);
  try {
    for (let step = 1; step <= 25; step++) {
      const gradient = randomArray(rng, rows * width);
      // Rows in a shuffled order: lazy Adam must not depend on the order of the (unique) indices.
      const order = Int32Array.from([3, 0, 5, 1, 4, 2]);
      const rowsInOrder = gatherTableRows(adamTable(gradient, width), order);
      lazyAdamStep(table, { indices: order, rows: rowsInOrder }, step, settings);
      optimizer.applyGradients([{ name: variable.name, tensor: tf.tensor2d(gradient, [rows, width]) }]);
      // float32 on both sides; TF.js rounds every intermediate to float32, this code only the stored values.
      assertClose(tableValues(table), variable.dataSync() as Float32Array, 1e-5, `step ${step}`);
    }
  } finally {
    variable.dispose();
    optimizer.dispose();
  }
});

test("denseAdamStep is lazyAdamStep over all rows", () => {
  const rng = new Random(3);
  const initial = randomArray(rng, 8);
  const dense = adamTable(Float32Array.from(initial), 2);
  const lazy = adamTable(Float32Array.from(initial), 2);
  for (let step = 1; step <= 4; step++) {
    const gradient = randomArray(rng, 8);
    denseAdamStep(dense, gradient, step, settings);
    lazyAdamStep(lazy, { indices: Int32Array.of(0, 1, 2, 3), rows: gradient }, step, settings);
  }
  assert.deepEqual(dense, lazy);
});

test("rows not in the batch keep their values and moments; touched rows move against the gradient", () => {
  const rng = new Random(5);
  const table = adamTable(randomArray(rng, 5 * 4), 4);
  lazyAdamStep(table, { indices: Int32Array.of(0, 1, 2, 3, 4), rows: randomArray(rng, 20) }, 1, settings);
  const before = table.data.slice();
  const gradient = Float32Array.of(1, -1, 2, -2, 0.5, 0.5, -0.5, -0.5);
  lazyAdamStep(table, { indices: Int32Array.of(3, 1), rows: gradient }, 2, settings);
  // Row r is data[12 r .. 12 r + 12): 4 values, 4 first moments, 4 second moments.
  for (const untouched of [0, 2, 4])
    assert.deepEqual(
      table.data.subarray(untouched * 12, untouched * 12 + 12),
      before.subarray(untouched * 12, untouched * 12 + 12),
    );
  for (const [k, row] of [3, 1].entries())
    for (let f = 0; f < 4; f++) {
      const at = row * 12 + f;
      assert.notEqual(table.data[at], before[at]);
      // One step moves a coordinate by at most about lr (Kingma & Ba 2015, section 2.1, |Δ| <~ α).
      assert.ok(Math.abs(table.data[at] - before[at]) < 2 * settings.learningRate);
      assert.equal(Math.sign(table.data[at + 4] - 0.9 * before[at + 4]), Math.sign(gradient[k * 4 + f]));
    }
});

test("gradients of duplicate indices are summed, in first-occurrence order, and the scratch is restored", () => {
  const slots = new Int32Array(6).fill(-1);
  const summed = sumDuplicateRows(
    {
      indices: Int32Array.of(4, 1, 4, 0, 1, 4),
      rows: Float32Array.of(1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60),
    },
    2,
    slots,
  );
  // Row 4: (1,10) + (3,30) + (6,60); row 1: (2,20) + (5,50); row 0: (4,40).
  assert.deepEqual(summed.indices, Int32Array.of(4, 1, 0));
  assert.deepEqual(summed.rows, Float32Array.of(10, 100, 7, 70, 4, 40));
  assert.deepEqual(slots, new Int32Array(6).fill(-1));
  assert.throws(
    () => sumDuplicateRows({ indices: Int32Array.of(6), rows: Float32Array.of(1, 2) }, 2, slots),
    RangeError,
  );
});

test("one step with summed duplicates equals one step with the total gradient of each row", () => {
  const rng = new Random(9);
  const initial = randomArray(rng, 3 * 2);
  const viaDuplicates = adamTable(Float32Array.from(initial), 2);
  const direct = adamTable(Float32Array.from(initial), 2);
  const slots = new Int32Array(3).fill(-1);
  lazyAdamStep(
    viaDuplicates,
    sumDuplicateRows(
      { indices: Int32Array.of(2, 2, 0), rows: Float32Array.of(0.5, -1, 0.25, 3, 1, 1) },
      2,
      slots,
    ),
    1,
    settings,
  );
  lazyAdamStep(direct, { indices: Int32Array.of(2, 0), rows: Float32Array.of(0.75, 2, 1, 1) }, 1, settings);
  assert.deepEqual(viaDuplicates, direct);
  // A duplicate applied as two separate Adam updates in the same step would differ: Adam is not additive.
  const twice = adamTable(Float32Array.from(initial), 2);
  lazyAdamStep(twice, { indices: Int32Array.of(2), rows: Float32Array.of(0.5, -1) }, 1, settings);
  lazyAdamStep(twice, { indices: Int32Array.of(2), rows: Float32Array.of(0.25, 3) }, 1, settings);
  assert.notDeepEqual(tableValues(twice), tableValues(direct));
});

test("a table keeps its values through the moment layout; gatherTableRows copies rows in index order", () => {
  const values = Float32Array.of(0, 1, 10, 11, 20, 21);
  const table = adamTable(values, 2);
  assert.deepEqual(tableValues(table), values);
  assert.deepEqual(gatherTableRows(table, Int32Array.of(2, 0, 2)), Float32Array.of(20, 21, 0, 1, 20, 21));
  assert.throws(() => gatherTableRows(table, Int32Array.of(3)), RangeError);
  assert.throws(() => adamTable(new Float32Array(5), 2), RangeError);
  assert.throws(
    () => lazyAdamStep(table, { indices: Int32Array.of(0), rows: Float32Array.of(1, 2) }, 0, settings),
    RangeError,
  );
});
