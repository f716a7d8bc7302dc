/**
 * One batch of the challenger's BPR loss (Rendle et al., UAI 2009) and its gradients, computed by TensorFlow.js
 * with respect to the rows the batch gathered from the embedding tables rather than the tables themselves, so the
 * cost of a batch does not grow with the catalogue or the user base (the rows are then updated by lazy Adam,
 * ./lazy-adam.ts). For user u, positive i and negatives j (rows in batch order; a row used twice appears twice):
 *
 *   q_i   = E[i] + F[i] · W           b_i = c[i] + F[i] · v           s(u, i) = P[u] · q_i + b_i
 *   loss  = Σ_(u,i,j) w_ui · softplus(−(s(u,i) − s(u,j))) / (N · negatives)  +  λ (Σ ‖P[u]‖² + Σ ‖q‖²) / N
 *
 * (the mean of softplus(−x) = −log σ(x) over the N x negatives pairs, λ summed over every gathered user and item
 * vector, divided by the batch size N). The gradient with respect to a gathered row is that occurrence's share of
 * the table gradient; summing the shares of duplicate indices gives the table gradient's row exactly.
 */
import * as tf from "@tensorflow/tfjs";

/** The inputs of one batch, already gathered from the tables (row-major Float32Arrays). */
export interface BprBatch {
  /** Batch size N (positives). */
  size: number;
  negatives: number;
  dim: number;
  nFeatures: number;
  /** P[u] of each positive: N x dim. */
  userRows: Float32Array;
  /** E rows of the N positives, then of the N x negatives negatives (negatives of positive b at b*negatives..): */
  itemRows: Float32Array;
  /** c of the same items: N (1 + negatives). */
  itemBiasRows: Float32Array;
  /** F rows of the same items: N (1 + negatives) x nFeatures. */
  featureRows: Float32Array;
  /** Weight of each positive (recency): N. */
  weights: Float32Array;
  /** W: nFeatures x dim. */
  featureWeights: Float32Array;
  /** v: nFeatures. */
  featureBias: Float32Array;
  /** λ. */
  l2: number;
}

/** The loss of a batch and its gradients, each shaped like the corresponding input. */
export interface BprGradients {
  loss: number;
  userRows: Float32Array;
  itemRows: Float32Array;
  itemBiasRows: Float32Array;
  featureWeights: Float32Array;
  featureBias: Float32Array;
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

/** Transpose of a rows x columns row-major matrix. */
function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < columns; k++) out[k * rows + r] = values[r * columns + k];
  return out;
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
  const shapes: [number, number][] = [
    [size, dim],
    [size, dim],
    [nNeg, dim],
    [size, 1],
    [nNeg, 1],
    [nFeatures, dim],
    [nFeatures, 1],
  ];
  const sources = [
    batch.userRows,
    batch.itemRows.subarray(0, size * dim),
    batch.itemRows.subarray(size * dim),
    batch.itemBiasRows.subarray(0, size),
    batch.itemBiasRows.subarray(size),
    batch.featureWeights,
    batch.featureBias,
  ];
  if (batch.itemRows.length !== nItems * dim || batch.itemBiasRows.length !== nItems)
    throw new RangeError(`item rows do not match ${nItems} items of width ${dim}`);
  sources.forEach((values, k) => {
    if (values.length !== shapes[k][0] * shapes[k][1])
      throw new RangeError(`batch input ${k} has ${values.length} values, expected ${shapes[k].join(" x ")}`);
  });
  const posFeatureValues = batch.featureRows.subarray(0, size * nFeatures);
  const negFeatureValues = batch.featureRows.subarray(size * nFeatures);
  const [value, ...grads] = tf.tidy(() => {
    const posFeatures = tf.tensor2d(posFeatureValues, [size, nFeatures]);
    const negFeatures = tf.tensor2d(negFeatureValues, [nNeg, nFeatures]);
    const posProjection = projection(
      posFeatures,
      tf.tensor2d(transpose(posFeatureValues, size, nFeatures), [nFeatures, size]),
    );
    const negProjection = projection(
      negFeatures,
      tf.tensor2d(transpose(negFeatureValues, nNeg, nFeatures), [nFeatures, nNeg]),
    );
    const w = tf.tensor2d(batch.weights, [size, 1]);
    const lossOf = (...inputs: tf.Tensor[]): tf.Scalar => {
      const [userVectors, posEmbeddings, negEmbeddings, posBiases, negBiases, featureWeights, featureBias] =
        inputs as tf.Tensor2D[];
      const posVectors = posEmbeddings.add(posProjection(featureWeights)) as tf.Tensor2D; // N x dim
      const negVectors = negEmbeddings.add(negProjection(featureWeights)) as tf.Tensor2D; // N negatives x dim
      const posScore = userVectors
        .mul(posVectors)
        .sum(1, true)
        .add(posBiases.add(posProjection(featureBias))); // N x 1
      const negScore = userVectors
        .expandDims(1)
        .mul(negVectors.reshape([size, negatives, dim]))
        .sum(2)
        .add(negBiases.add(negProjection(featureBias)).reshape([size, negatives])); // N x negatives
      const bpr = tf
        .softplus(tf.neg(posScore.sub(negScore)))
        .mul(w)
        .mean();
      const penalty = tf
        .addN([userVectors.square().sum(), posVectors.square().sum(), negVectors.square().sum()])
        .mul(l2 / size);
      return bpr.add(penalty) as tf.Scalar;
    };
    const inputs = sources.map((values, k) => tf.tensor2d(values, shapes[k]));
    const result = tf.valueAndGrads(lossOf)(inputs);
    return [result.value, ...result.grads];
  });
  try {
    const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
    const concat = (a: Float32Array, b: Float32Array) => {
      const out = new Float32Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    };
    return {
      loss: read(value)[0],
      userRows: read(grads[0]),
      itemRows: concat(read(grads[1]), read(grads[2])),
      itemBiasRows: concat(read(grads[3]), read(grads[4])),
      featureWeights: read(grads[5]),
      featureBias: read(grads[6]),
    };
  } finally {
    tf.dispose([value, ...grads]);
  }
}
