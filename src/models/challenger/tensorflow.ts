/**
 * TensorFlow.js set-up for training in Node without tfjs-node (which cannot be installed here): the WebAssembly
 * backend (single-threaded, SIMD), with the .wasm files loaded from the installed package, or the pure-JS cpu
 * backend. Also the gather whose gradient is a scatter, because tfjs's own gather gradient
 * (UnsortedSegmentSum) is unusably slow on cpu and missing on wasm (ENVIRONMENT.md, "tfjs training pitfalls").
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type TrainingBackend = "wasm" | "cpu";

let prodModeSet = false;

/** Selects and initialises a backend (idempotent). */
export async function useBackend(backend: TrainingBackend): Promise<void> {
  if (!prodModeSet) {
    tf.enableProdMode();
    prodModeSet = true;
  }
  if (tf.getBackend() === backend) return;
  if (backend === "wasm") {
    const distDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(distDir + path.sep);
  }
  if (!(await tf.setBackend(backend)))
    throw new Error(`TensorFlow.js backend "${backend}" failed to initialise`);
  await tf.ready();
}

/**
 * `tf.gather(table, indices)` along axis 0 with gradient dTable = scatterND(indices, dy, table.shape), which sums
 * the rows of duplicate indices (as the true gradient does) in O(batch * dim) instead of O(table size).
 */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((x) => {
    const t = x as tf.Tensor2D;
    return {
      value: tf.gather(t, indices),
      gradFunc: (dy: tf.Tensor) => tf.scatterND(indices.expandDims(1), dy, t.shape) as tf.Tensor2D,
    };
  });
  return op(table) as tf.Tensor2D;
}
