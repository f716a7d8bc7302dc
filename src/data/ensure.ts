/**
 * The one entry point other parts call to get data: `ensurePreparedDataset` makes sure the raw MovieLens files
 * are under `<dataDir>/<dataset>/` and the processed dataset under `<dataDir>/processed/<dataset>/` is up to date,
 * doing only what is missing, and returns the processed folder for `loadPreparedDataset`.
 *
 * Where raw files come from, in order: already in `<dataDir>/<dataset>/`; for ml-latest-small, a copy of
 * `SHARED_DATA_DIR/ml-latest-small` (offline machines); otherwise the GroupLens zip (checksum-verified). The
 * `synthetic` dataset is generated (seeded) and regenerated when its size or seed changes. Copying and
 * downloading happen only into an absent or empty folder: one holding other files but not both CSVs fails with
 * an InputError naming what is missing, and nothing in it is touched.
 *
 * @example
 * const dir = await ensurePreparedDataset({ dataset: "ml-latest-small" });
 * const data = await loadPreparedDataset(dir);
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../core/errors";
import { publishDirectoryAtomic, sha256File, writeJsonAtomic } from "../core/files";
import { DEFAULT_DATA_DIR, SHARED_DATA_DIR } from "../core/paths";
import { DEFAULT_SEED } from "../core/random";
import { downloadMovieLens } from "./download";
import { PREPARED_LAYOUT_VERSION } from "./load";
import { MOVIELENS_CSV_HEADERS } from "./movielens";
import { DEFAULT_POSITIVE_THRESHOLD, DEFAULT_SPLITS, DEFAULT_TEST_FRACTION, prepareDataset } from "./prepare";
import { generateSyntheticMovieLens } from "./synthetic";
import type { DatasetManifest, DatasetName, SplitName } from "./types";

export const DATASET_NAMES: readonly DatasetName[] = ["ml-latest-small", "ml-25m", "synthetic"];

/** Default size of the synthetic dataset (ml-latest-small's size). */
export const DEFAULT_SYNTHETIC_RATINGS = 100_836;

/** Written beside synthetic CSVs: what generated them. */
const SYNTHETIC_PARAMETERS = "synthetic.json";

export interface EnsureOptions {
  dataset: DatasetName;
  /** Defaults to DEFAULT_DATA_DIR (the repository's data/). */
  dataDir?: string;
  /** Where a read-only ml-latest-small copy may be (default SHARED_DATA_DIR); "" disables copying. */
  sharedDataDir?: string;
  /** GroupLens base URL (tests use a local server). */
  baseUrl?: string;
  /** Synthetic only: number of ratings (default DEFAULT_SYNTHETIC_RATINGS). */
  ratings?: number;
  /** Seed for synthetic generation, recorded in the manifest. */
  seed?: number;
  positiveThreshold?: number;
  testFraction?: number;
  /** Default DEFAULT_SPLITS[dataset]. */
  split?: SplitName;
  threads?: number;
  /** Prepare again even when an up-to-date processed dataset exists. */
  force?: boolean;
  quiet?: boolean;
  warn?: (message: string) => void;
}

/** Checks a dataset name given by a user. */
export function parseDatasetName(value: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(value))
    throw new InputError(`expected one of ${DATASET_NAMES.join(", ")}, got "${value}"`, { field: "dataset" });
  return value as DatasetName;
}

function hasRawFiles(dir: string): boolean {
  return Object.keys(MOVIELENS_CSV_HEADERS).every((name) => fs.existsSync(path.join(dir, name)));
}

/**
 * Throws unless `rawDir` is absent or empty, so that copying or downloading a release into it replaces nothing a
 * user put there. Called when `rawDir` lacks a required file. A folder with the user's ratings.csv but no
 * movies.csv is an error rather than something to complete from the release: completing it would silently join
 * the user's ratings to another dataset's movies, whose ids need not mean the same films.
 */
function checkNothingToReplace(rawDir: string, dataset: DatasetName): void {
  const found = fs.existsSync(rawDir) ? fs.readdirSync(rawDir).sort() : [];
  if (found.length === 0) return;
  const missing = Object.entries(MOVIELENS_CSV_HEADERS).filter(([name]) => !found.includes(name));
  const shown = found.length > 4 ? [...found.slice(0, 3), `${found.length - 3} more`] : found;
  throw new InputError(
    `has ${shown.join(", ")} but no ${missing.map(([name]) => name).join(" and no ")}, and abrec never ` +
      `replaces files it did not write: add ` +
      missing.map(([name, header]) => `${name} (header "${header.join(",")}")`).join(" and ") +
      `, or empty or remove the folder so that abrec can fetch the ${dataset} release`,
    { file: rawDir },
  );
}

/**
 * Makes sure `<dataDir>/<dataset>/ratings.csv` and `movies.csv` exist (copy, download or generate) and returns
 * that folder.
 *
 * @throws InputError when the folder holds files but not both CSVs (nothing in it is touched).
 */
export async function ensureRawDataset(options: EnsureOptions): Promise<string> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const rawDir = path.join(dataDir, options.dataset);
  if (options.dataset === "synthetic") {
    const wanted = {
      ratings: options.ratings ?? DEFAULT_SYNTHETIC_RATINGS,
      seed: options.seed ?? DEFAULT_SEED,
    };
    const parametersFile = path.join(rawDir, SYNTHETIC_PARAMETERS);
    if (hasRawFiles(rawDir) && fs.existsSync(parametersFile)) {
      const found = JSON.parse(fs.readFileSync(parametersFile, "utf8")) as typeof wanted;
      if (found.ratings === wanted.ratings && found.seed === wanted.seed) return rawDir;
    }
    await publishDirectoryAtomic(rawDir, (tmp) => {
      const sizes = generateSyntheticMovieLens({ ...wanted, dir: tmp, quiet: options.quiet });
      writeJsonAtomic(path.join(tmp, SYNTHETIC_PARAMETERS), { ...wanted, ...sizes });
    });
    return rawDir;
  }
  if (hasRawFiles(rawDir)) return rawDir;
  checkNothingToReplace(rawDir, options.dataset);
  const shared = path.join(options.sharedDataDir ?? SHARED_DATA_DIR, options.dataset);
  if (options.dataset === "ml-latest-small" && options.sharedDataDir !== "" && hasRawFiles(shared)) {
    await publishDirectoryAtomic(rawDir, (tmp) => {
      for (const name of fs.readdirSync(shared))
        fs.copyFileSync(path.join(shared, name), path.join(tmp, name));
    });
    return rawDir;
  }
  await downloadMovieLens({
    name: options.dataset,
    targetDir: rawDir,
    baseUrl: options.baseUrl,
    quiet: options.quiet,
  });
  return rawDir;
}

/** True when `outDir` holds a dataset in the current layout, prepared from these exact inputs with these settings. */
async function isUpToDate(outDir: string, rawDir: string, options: EnsureOptions): Promise<boolean> {
  const manifestFile = path.join(outDir, "manifest.json");
  if (!fs.existsSync(manifestFile)) return false;
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as DatasetManifest;
  if (manifest.layoutVersion !== PREPARED_LAYOUT_VERSION) return false;
  if (manifest.positiveThreshold !== (options.positiveThreshold ?? DEFAULT_POSITIVE_THRESHOLD)) return false;
  if (manifest.testFraction !== (options.testFraction ?? DEFAULT_TEST_FRACTION)) return false;
  if (manifest.split !== (options.split ?? DEFAULT_SPLITS[options.dataset])) return false;
  for (const name of Object.keys(MOVIELENS_CSV_HEADERS))
    if (manifest.inputChecksums[name] !== (await sha256File(path.join(rawDir, name)))) return false;
  return true;
}

/**
 * Raw files ensured, then `<dataDir>/processed/<dataset>/` prepared unless it is already up to date (same input
 * checksums, threshold, split and test fraction). Returns the processed folder and whether it was (re)built.
 */
export async function ensurePreparedDataset(
  options: EnsureOptions,
): Promise<{ dir: string; rawDir: string; prepared: boolean }> {
  const rawDir = await ensureRawDataset(options);
  const dir = path.join(options.dataDir ?? DEFAULT_DATA_DIR, "processed", options.dataset);
  if (!options.force && (await isUpToDate(dir, rawDir, options))) return { dir, rawDir, prepared: false };
  await prepareDataset({
    dataset: options.dataset,
    rawDir,
    outDir: dir,
    positiveThreshold: options.positiveThreshold,
    testFraction: options.testFraction,
    split: options.split,
    seed: options.seed,
    threads: options.threads,
    quiet: options.quiet,
    warn: options.warn,
  });
  return { dir, rawDir, prepared: true };
}

/**
 * Prepares the raw files behind `manifest` again with another split (same threshold, test fraction and seed) into
 * a fresh temporary folder, and returns that folder for `loadPreparedDataset`. The project's data/processed/ keeps
 * the default split: this is for comparisons beside it, such as notebook 03's leak-free check on the global split.
 *
 * @example
 * const { dir, rawDir } = await ensurePreparedDataset({ dataset: "ml-latest-small" }); // user-temporal
 * const global = await loadPreparedDataset(await prepareAlongside(rawDir, manifest, "global"));
 */
export async function prepareAlongside(
  rawDir: string,
  manifest: DatasetManifest,
  split: SplitName,
): Promise<string> {
  const outDir = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), `abrec-${manifest.dataset}-${split}-`)),
    "processed",
  );
  await prepareDataset({
    dataset: manifest.dataset,
    rawDir,
    outDir,
    split,
    positiveThreshold: manifest.positiveThreshold,
    testFraction: manifest.testFraction,
    seed: manifest.seed,
    quiet: true,
  });
  return outDir;
}
