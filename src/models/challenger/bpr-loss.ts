/**
 * One batch of the challenger's BPR loss (Rendle et al., UAI 2009) and its gradients, computed by TensorFlow.js
 * with respect to the rows the batch gathered from the embedding tables rather than the tables themselves, so the
 * cost of a batch does not grow with the catalogue or the user base (the rows are then updated by lazy Adam,
 * ./lazy-adam.ts). For user u, positive i and negatives j (rows in batch order; a row used twice appears twice):
 *
 *   [q_i, b_i] = [E[i], c[i]] + F[i] · [W, v]           s(u, i) = [P[u], 1] · [q_i, b_i] = P[u] · q_i + b_i
 *   loss  = Σ_(u,i,j) w_ui · softplus(−(s(u,i) − s(u,j))) / (N · negatives)  +  λ (Σ ‖P[u]‖² + Σ ‖q‖²) / N
 *
 * (the mean of softplus(−x) = −log σ(x) over the N x negatives pairs, λ summed over every gathered user and item
 * vector, divided by the batch size N). The gradient with respect to a gathered row is that occurrence's share of
 * the table gradient; summing the shares of duplicate indices gives the table gradient's row exactly.
 *
 * Speed on the wasm backend shaped the graph: the few-hot side features enter with a pre-transposed copy for the
 * matMul gradient, row dot products and sums of squares have their gradients written out (tfjs's `sum` gradient
 * uploads a JavaScript array of ones), and the constant 1 in the user rows avoids slicing movie rows into embedding
 * and bias (tfjs-wasm slices 2-D tensors in JavaScript). The tests check every gradient against the same loss
 * written plainly on whole tables.
 */
import * as tf from "@tensorflow/tfjs";

/** The inputs of one batch, already gathered from the tables (row-major Float32Arrays). */
export interface BprBatch {
  /** Batch size N (positives). */
  size: number;
  negatives: number;
  dim: number;
  nFeatures: number;
  /**
   * [P[u], 1] of each positive: N x (dim + 1). The constant 1 meets the movie bias in the dot product (the
   * "bias trick"), so s(u, i) = [P[u], 1] · [q_i, b_i] needs no slicing of the movie rows; its gradient is
   * returned as 0, so an optimiser leaves it at 1.
   */
  userRows: Float32Array;
  /**
   * Movie rows [E[i], c[i]] (embedding then bias) of the N positives, then of the N x negatives negatives
   * (positive b's negatives at b*negatives..): N (1 + negatives) x (dim + 1).
   */
  itemRows: Float32Array;
  /** F rows of the same items: N (1 + negatives) x nFeatures. */
  featureRows: Float32Array;
  /** Weight of each positive (recency): N. */
  weights: Float32Array;
  /** Feature rows [W, v] (a feature's embedding then its bias): nFeatures x (dim + 1). */
  featureWeights: Float32Array;
  /** λ. */
  l2: number;
}

/** The loss of a batch and its gradients, each shaped like the corresponding input. */
export interface BprGradients {
  loss: number;
  userRows: Float32Array;
  /** Same layout as the batch's itemRows: N (1 + negatives) x (dim + 1). */
  itemRows: Float32Array;
  /** nFeatures x (dim + 1), like the batch's featureWeights. */
  featureWeights: Float32Array;
}

/**
 * x · weights for a constant x, with the gradient d(weights) = xᵀ · dy computed from a transposed copy of x made in
 * JavaScript: tfjs-wasm's matMul with transposeA (what autodiff of matMul uses) took ~8x longer than the plain one.
 */
function projection(x: tf.Tensor2D, xTransposed: tf.Tensor2D): (weights: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((weights) => ({
    value: tf.matMul(x, weights as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(xTransposed, dy as tf.Tensor2D),
  })) as (weights: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * Σ_k a[..., k] · b[..., k] over the last axis, `a` of shape [N, dim] against `b` [N, dim] (-> [N]) or `a`
 * [N, 1, dim] against `b` [N, m, dim] (-> [N, m]), with the gradients d(a) = Σ_broadcast dy · b and
 * d(b) = dy · a written out: tfjs's own gradient of `sum` fills a JavaScript array of ones of the input's shape and
 * uploads it, and that of `mul` copies both inputs through `cast`, which together cost more than the arithmetic.
 */
function rowDot(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const broadcast = a.shape.length === 3 && a.shape[1] === 1 && b.shape[1] !== 1;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x, y]);
    return {
      value: x.mul(y).sum(-1),
      gradFunc: (dy: tf.Tensor, [left, right]: tf.Tensor[]) => {
        const expanded = dy.expandDims(-1);
        const dLeft = expanded.mul(right);
        return [broadcast ? dLeft.sum(1, true) : dLeft, expanded.mul(left)];
      },
    };
  });
  return op(a, b);
}

/**
 * Σ (x · mask)² over a rows x width matrix, mask a [1, width] 0/1 row selecting the embedding columns (not the
 * bias column), with gradient 2 x · mask · dy (avoiding tfjs's ones-filled `sum` gradient, see rowDot, and
 * slicing). The mask is made outside the differentiated function, whose intermediate tensors are disposed before
 * the gradients run.
 */
function sumOfSquares(x: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: input.square().mul(mask).sum(),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => saved.mul(mask.mul(dy.mul(2))),
    };
  });
  return op(x) as tf.Scalar;
}

/** Computes the batch loss and its gradients with TensorFlow.js (`tf.valueAndGrads`). */
export function bprLossAndGradients(batch: BprBatch): BprGradients {
  const { size, negatives, dim, nFeatures, l2 } = batch;
  const nItems = size * (1 + negatives);
  const nNeg = size * negatives;
  if (batch.featureRows.length !== nItems * nFeatures)
    throw new RangeError(`${batch.featureRows.length} feature values, expected ${nItems} x ${nFeatures}`);
  if (batch.weights.length !== size)
    throw new RangeError(`${batch.weights.length} weights for ${size} positives`);
  // Positives and negatives enter as separate tensors (slicing one tensor would add pads to the backward pass).
  const width = dim + 1;
  const shapes: [number, number][] = [
    [size, width],
    [size, width],
    [nNeg, width],
    [nFeatures, width],
  ];
  const sources = [
    batch.userRows,
    batch.itemRows.subarray(0, size * width),
    batch.itemRows.subarray(size * width),
    batch.featureWeights,
  ];
  if (batch.itemRows.length !== nItems * width)
    throw new RangeError(`${batch.itemRows.length} item values, expected ${nItems} x ${width}`);
  sources.forEach((values, k) => {
    if (values.length !== shapes[k][0] * shapes[k][1])
      throw new RangeError(`batch input ${k} has ${values.length} values, expected ${shapes[k].join(" x ")}`);
  });
  const [value, ...grads] = tf.tidy(() => {
    const posFeatures = tf.tensor2d(batch.featureRows.subarray(0, size * nFeatures), [size, nFeatures]);
    const negFeatures = tf.tensor2d(batch.featureRows.subarray(size * nFeatures), [nNeg, nFeatures]);
    const posProjection = projection(posFeatures, posFeatures.transpose());
    const negProjection = projection(negFeatures, negFeatures.transpose());
    const w = tf.tensor2d(batch.weights, [size, 1]);
    const embeddingColumns = tf.tensor2d(
      Float32Array.from({ length: width }, (_, k) => (k < dim ? 1 : 0)),
      [1, width],
    );
    const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
      const [userRows, posRows, negRows, featureWeights] = inputs as tf.Tensor2D[];
      // [q_i, b_i] = [E[i], c[i]] + F[i] · [W, v]: one projection for embedding and bias.
      const posItems = posRows.add(posProjection(featureWeights)) as tf.Tensor2D; // N x (dim + 1)
      const negItems = negRows.add(negProjection(featureWeights)) as tf.Tensor2D; // N negatives x (dim + 1)
      // s(u, i) = [P[u], 1] · [q_i, b_i] = P[u] · q_i + b_i
      const posScore = rowDot(userRows, posItems).reshape([size, 1]); // N x 1
      const negScore = rowDot(userRows.reshape([size, 1, width]), negItems.reshape([size, negatives, width])); // N x negatives
      const bpr = tf
        .softplus(tf.neg(posScore.sub(negScore)))
        .mul(w)
        .mean();
      const penalty = tf
        .addN([
          sumOfSquares(userRows, embeddingColumns),
          sumOfSquares(posItems, embeddingColumns),
          sumOfSquares(negItems, embeddingColumns),
        ])
        .mul(l2 / size);
      return bpr.add(penalty) as tf.Scalar;
    };
    const inputs = sources.map((values, k) => tf.tensor2d(values, shapes[k]));
    const result = tf.valueAndGrads(lossOf)(inputs);
    return [result.value, ...result.grads];
  });
  try {
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    const positives = read(grads[1]);
    const itemRows = new Float32Array(nItems * width);
    itemRows.set(positives);
    itemRows.set(read(grads[2]), positives.length);
    const userRows = read(grads[0]);
    for (let b = 0; b < size; b++) userRows[b * width + dim] = 0; // the constant column stays 1
    return {
      loss: read(value)[0],
      userRows,
      itemRows,
      featureWeights: read(grads[3]),
    };
  } finally {
    tf.dispose([value, ...grads]);
  }
}
