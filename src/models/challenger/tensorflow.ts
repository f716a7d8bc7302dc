/**
 * TensorFlow.js set-up for training in Node without tfjs-node (which cannot be installed here): the WebAssembly
 * backend (single-threaded, SIMD), with the .wasm files loaded from the installed package, or the pure-JS cpu
 * backend. Training gathers embedding rows in JavaScript before they reach TensorFlow.js (./bpr-loss.ts), so no
 * graph contains a gather whose gradient (UnsortedSegmentSum) is unusably slow on cpu (minutes for one BPR step on
 * a 9k x 32 table, measured) and missing on wasm (tfjs-backend-wasm 4.22 registers no such kernel).
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
