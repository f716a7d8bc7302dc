/**
 * Model artifacts: one folder per model, `<modelsDir>/<name>/`, written atomically (it appears complete or not
 * at all) and loaded without TensorFlow.js. Layout:
 *
 *   metadata.json          ModelMetadata (format, version, dataset checksum, cutoff, hyperparameters, seed, ...)
 *   user-ids.i32           MovieLens ids of the known users
 *   movie-ids.i32          MovieLens ids of the catalogue
 *   user-factors.f32       nUsers x dim, row-major
 *   item-factors.f32       nMovies x dim, row-major (challenger: embedding + side-feature contribution)
 *   item-bias.f32          nMovies
 *   fallback-scores.f32    nMovies (popularity; the list unknown users get)
 *   seen-offsets.i32       nUsers + 1 (CSR of the movies each user rated before the cutoff)
 *   seen-movies.i32        catalogue indices
 *
 * Binary files are raw little-endian typed arrays (what every machine this runs on uses).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { InputError } from "../core/errors";
import { publishDirectoryAtomic, writeJsonAtomic } from "../core/files";
import { runEnvironment } from "../core/run-record";
import type { DatasetManifest, SplitName } from "../data/types";
import type { Recommender } from "./recommender";
import { FactorRecommender, type FactorModelParts } from "./factor-recommender";

export const ARTIFACT_FORMAT = 1;

/** What metadata.json records about how a model was made. */
export interface ModelMetadata {
  format: number;
  name: string;
  version: string;
  createdAt: string;
  dim: number;
  nUsers: number;
  nMovies: number;
  dataset: {
    name: string;
    /** SHA-256 over the dataset manifest's input checksums (identifies the exact input files). */
    checksum: string;
    inputChecksums: Record<string, string>;
    /** Absent in artifacts written before the user-temporal split existed (they were all `global`). */
    split?: SplitName;
    cutoffTimestamp: number;
    positiveThreshold: number;
  };
  hyperparameters: Record<string, unknown>;
  seed: number | null;
  trainingSeconds: number;
  /** Validation (and, once evaluated, other) metrics known at save time. */
  metrics: Record<string, unknown>;
  environment: unknown;
}

const FILES = {
  userIds: "user-ids.i32",
  movieIds: "movie-ids.i32",
  userFactors: "user-factors.f32",
  itemFactors: "item-factors.f32",
  itemBias: "item-bias.f32",
  fallbackScores: "fallback-scores.f32",
  seenOffsets: "seen-offsets.i32",
  seenMovies: "seen-movies.i32",
} as const;

/** SHA-256 over the sorted input checksums of a dataset manifest. */
export function datasetChecksum(inputChecksums: Record<string, string>): string {
  const canonical = Object.keys(inputChecksums)
    .sort()
    .map((file) => `${file}:${inputChecksums[file]}`)
    .join("\n");
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

/** A version string that changes whenever a model is retrained: creation time plus a hash of its parameters. */
export function modelVersion(parts: Omit<FactorModelParts, "version">, createdAt: Date): string {
  const hash = crypto.createHash("sha256");
  for (const array of [parts.userFactors, parts.itemFactors, parts.itemBias])
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  const stamp = createdAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stamp}-${hash.digest("hex").slice(0, 8)}`;
}

function bytes(array: Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Writes `<modelsDir>/<parts.name>/` atomically (replacing an older version) and returns the folder.
 * `metadata.version` must equal `parts.version`.
 */
export async function saveModelArtifact(
  modelsDir: string,
  parts: FactorModelParts,
  metadata: ModelMetadata,
): Promise<string> {
  if (metadata.version !== parts.version || metadata.name !== parts.name)
    throw new RangeError("metadata name/version must match the model's");
  const target = path.join(modelsDir, parts.name);
  await publishDirectoryAtomic(target, (tmp) => {
    const write = (file: string, array: Int32Array | Float32Array) =>
      fs.writeFileSync(path.join(tmp, file), bytes(array));
    write(FILES.userIds, parts.userIds);
    write(FILES.movieIds, parts.movieIds);
    write(FILES.userFactors, parts.userFactors);
    write(FILES.itemFactors, parts.itemFactors);
    write(FILES.itemBias, parts.itemBias);
    write(FILES.fallbackScores, parts.fallbackScores);
    write(FILES.seenOffsets, parts.seen.offsets);
    write(FILES.seenMovies, parts.seen.items);
    writeJsonAtomic(path.join(tmp, "metadata.json"), metadata);
  });
  return target;
}

/** Reads an artifact's metadata.json, with a clear error when the folder is not a model artifact. */
export function readModelMetadata(modelDir: string): ModelMetadata {
  const file = path.join(modelDir, "metadata.json");
  if (!fs.existsSync(file))
    throw new InputError(`no model artifact here (expected metadata.json; train one with "abrec train")`, {
      file,
    });
  let metadata: ModelMetadata;
  try {
    metadata = JSON.parse(fs.readFileSync(file, "utf8")) as ModelMetadata;
  } catch (error) {
    throw new InputError(`not valid JSON (${(error as Error).message})`, { file });
  }
  if (metadata.format !== ARTIFACT_FORMAT)
    throw new InputError(`expected artifact format ${ARTIFACT_FORMAT}, found ${String(metadata.format)}`, {
      file,
      field: "format",
    });
  return metadata;
}

function readTyped<T extends Int32Array | Float32Array>(
  modelDir: string,
  file: string,
  Kind: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
  expectedLength: number,
): T {
  const full = path.join(modelDir, file);
  if (!fs.existsSync(full)) throw new InputError("missing model file", { file: full });
  const buffer = fs.readFileSync(full);
  const copy = new ArrayBuffer(buffer.byteLength);
  new Uint8Array(copy).set(buffer);
  if (copy.byteLength !== expectedLength * Kind.BYTES_PER_ELEMENT)
    throw new InputError(
      `expected ${expectedLength} values (${expectedLength * Kind.BYTES_PER_ELEMENT} bytes), found ${copy.byteLength} bytes`,
      { file: full },
    );
  return new Kind(copy);
}

/** Loads the parts of a model artifact (validating every file's size against metadata.json). */
export function loadModelParts(modelDir: string): { parts: FactorModelParts; metadata: ModelMetadata } {
  const metadata = readModelMetadata(modelDir);
  const { dim, nUsers, nMovies } = metadata;
  const seenOffsets = readTyped(modelDir, FILES.seenOffsets, Int32Array, nUsers + 1);
  const parts: FactorModelParts = {
    name: metadata.name,
    version: metadata.version,
    dim,
    userIds: readTyped(modelDir, FILES.userIds, Int32Array, nUsers),
    movieIds: readTyped(modelDir, FILES.movieIds, Int32Array, nMovies),
    userFactors: readTyped(modelDir, FILES.userFactors, Float32Array, nUsers * dim),
    itemFactors: readTyped(modelDir, FILES.itemFactors, Float32Array, nMovies * dim),
    itemBias: readTyped(modelDir, FILES.itemBias, Float32Array, nMovies),
    fallbackScores: readTyped(modelDir, FILES.fallbackScores, Float32Array, nMovies),
    seen: {
      nUsers,
      offsets: seenOffsets,
      items: readTyped(modelDir, FILES.seenMovies, Int32Array, seenOffsets[nUsers]),
    },
  };
  return { parts, metadata };
}

/**
 * Loads either model (baseline or challenger) from its artifact folder `<modelsDir>/<name>/`, ready to serve.
 * Needs no TensorFlow.js: scoring is a Float32Array loop.
 *
 * @example
 * const model = await loadRecommender(path.join(DEFAULT_MODELS_DIR, "challenger"));
 * model.recommend(1, 10).movieIds; // 10 MovieLens ids user 1 has not rated
 */
export async function loadRecommender(modelDir: string): Promise<Recommender> {
  return new FactorRecommender(loadModelParts(modelDir).parts);
}

/** How a model was trained, for its metadata.json. */
export interface TrainingRecord {
  hyperparameters: Record<string, unknown>;
  seed: number | null;
  trainingSeconds: number;
  metrics: Record<string, unknown>;
}

/** metadata.json for a model trained on `manifest`'s dataset. */
export function modelMetadata(
  parts: FactorModelParts,
  manifest: DatasetManifest,
  record: TrainingRecord,
  createdAt = new Date(),
): ModelMetadata {
  return {
    format: ARTIFACT_FORMAT,
    name: parts.name,
    version: parts.version,
    createdAt: createdAt.toISOString(),
    dim: parts.dim,
    nUsers: parts.userIds.length,
    nMovies: parts.movieIds.length,
    dataset: {
      name: manifest.dataset,
      checksum: datasetChecksum(manifest.inputChecksums),
      inputChecksums: manifest.inputChecksums,
      split: manifest.split,
      cutoffTimestamp: manifest.cutoffTimestamp,
      positiveThreshold: manifest.positiveThreshold,
    },
    ...record,
    environment: runEnvironment(),
  };
}

/**
 * Gives a freshly trained model its version (creation time + parameter hash) and writes its artifact folder
 * `<modelsDir>/<name>/`; returns the folder and the metadata written.
 */
export async function publishModel(
  modelsDir: string,
  parts: FactorModelParts,
  manifest: DatasetManifest,
  record: TrainingRecord,
): Promise<{ folder: string; metadata: ModelMetadata }> {
  const createdAt = new Date();
  const versioned = { ...parts, version: modelVersion(parts, createdAt) };
  const metadata = modelMetadata(versioned, manifest, record, createdAt);
  return { folder: await saveModelArtifact(modelsDir, versioned, metadata), metadata };
}
