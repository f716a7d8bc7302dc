/**
 * Scores a whole catalogue for one user vector, `bias[i] + dot(user, items[i])` for every item i, with the
 * WebAssembly SIMD kernel of scoring-kernel.wat (f32x4: four items per instruction). This is the whole cost of
 * serving a factor-model request, and plain JavaScript loops cannot use SIMD: on 62k movies x 32 factors the kernel
 * takes ~0.5 ms where the best scalar Float64Array loop took ~5 ms (`npm run bench:models`).
 *
 * Each kernel owns a WebAssembly memory holding the item factors in the kernel's blocked layout (a copy made
 * once), the biases, the current user vector and the output scores. Arithmetic is float32, like the stored
 * factors: a score differs from a float64 evaluation by about 1e-7 relative.
 *
 * @example
 * const kernel = new ScoringKernel(new Float32Array([1, 0, 0, 1]), new Float32Array([0.5, 0]), 2);
 * kernel.score(new Float32Array([2, 3])); // => Float32Array [2.5, 3]
 */
import { SCORING_KERNEL_WASM_BASE64 } from "./scoring-kernel-binary";

const PAGE_BYTES = 65_536;
const LANES = 4;
const FLOAT_BYTES = 4;

/**
 * The part of the WebAssembly JavaScript API used here: Node has it as a global, but @types/node 20 does not
 * declare it (lib.dom does, and this project does not load DOM types).
 */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
};
type WasmModule = { readonly __wasmModule: unique symbol };

let compiled: WasmModule | undefined;

/** The kernel module, compiled once per process (synchronously: it is a few hundred bytes). */
function kernelModule(): WasmModule {
  compiled ??= new WebAssembly.Module(Buffer.from(SCORING_KERNEL_WASM_BASE64, "base64"));
  return compiled;
}

type ScoreBlocks = (
  blocksPtr: number,
  biasPtr: number,
  userSplatPtr: number,
  outPtr: number,
  nBlocks: number,
  blockBytes: number,
) => void;

type FirstAbove = (outPtr: number, from: number, n: number, threshold: number) => number;

export class ScoringKernel {
  private readonly scoreBlocks: ScoreBlocks;
  private readonly firstAboveIn: FirstAbove;
  private readonly heap: Float32Array;
  /** Dimensions rounded up to even (the kernel does two per step); the padding factors are 0. */
  private readonly paddedDim: number;
  private readonly nBlocks: number;
  private readonly biasPtr: number;
  private readonly userSplatPtr: number;
  private readonly outPtr: number;
  private readonly scores: Float32Array;

  /**
   * @param itemFactors nItems x dim, row-major (the artifact's layout)
   * @param itemBias nItems
   */
  constructor(
    itemFactors: Float32Array,
    itemBias: Float32Array,
    readonly dim: number,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    const nItems = itemBias.length;
    if (itemFactors.length !== nItems * dim)
      throw new RangeError(`itemFactors must have ${nItems} x ${dim} values, has ${itemFactors.length}`);
    this.paddedDim = dim + (dim % 2);
    this.nBlocks = Math.ceil(nItems / LANES);
    const blockFloats = this.paddedDim * LANES;
    this.biasPtr = this.nBlocks * blockFloats * FLOAT_BYTES;
    this.userSplatPtr = this.biasPtr + this.nBlocks * LANES * FLOAT_BYTES;
    this.outPtr = this.userSplatPtr + this.paddedDim * LANES * FLOAT_BYTES;
    const bytes = this.outPtr + this.nBlocks * LANES * FLOAT_BYTES;
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE_BYTES)) });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.scoreBlocks = instance.exports.scoreBlocks as ScoreBlocks;
    this.firstAboveIn = instance.exports.firstAbove as FirstAbove;
    this.heap = new Float32Array(memory.buffer);
    // Item i's factor f goes to block i / 4, row f, lane i % 4.
    for (let i = 0; i < nItems; i++) {
      const base = (i >> 2) * blockFloats + (i & 3);
      for (let f = 0; f < dim; f++) this.heap[base + f * LANES] = itemFactors[i * dim + f];
    }
    this.heap.set(itemBias, this.biasPtr / FLOAT_BYTES);
    this.scores = this.heap.subarray(this.outPtr / FLOAT_BYTES, this.outPtr / FLOAT_BYTES + nItems);
  }

  /** The score of every item for `user` (dim values). The returned view is overwritten by the next call. */
  score(user: ArrayLike<number>): Float32Array {
    if (user.length !== this.dim) throw new RangeError(`user vector must have ${this.dim} values`);
    const splat = this.userSplatPtr / FLOAT_BYTES;
    const heap = this.heap;
    for (let f = 0, at = splat; f < this.dim; f++, at += LANES) {
      const value = user[f];
      heap[at] = value;
      heap[at + 1] = value;
      heap[at + 2] = value;
      heap[at + 3] = value;
    }
    this.scoreBlocks(
      0,
      this.biasPtr,
      this.userSplatPtr,
      this.outPtr,
      this.nBlocks,
      this.paddedDim * LANES * FLOAT_BYTES,
    );
    return this.scores;
  }

  /**
   * The index of the first score of the last `score` call, at or after `from`, that is greater than `threshold`
   * (compared in float32), or the number of items when there is none. Lets the top-k pass skip, four at a time,
   * the scores that cannot enter the top k.
   */
  firstAbove(from: number, threshold: number): number {
    return this.firstAboveIn(this.outPtr, from, this.scores.length, threshold);
  }
}
