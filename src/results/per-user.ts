/**
 * The per-user summary file that `abrec analyze --per-user` reads: one row per user, columns
 * `variant,clicks,impressions` and optionally `pre_clicks,pre_impressions` (the same user's counts in the
 * pre-period, the covariate CUPED needs), variants `baseline` (control) and `challenger` (treatment).
 *
 * The project has a CSV writer (src/core/csv.ts) but no reader for small files, and this one only holds names and
 * counts, so the reader is strict rather than general: no quoted fields, every row as many fields as the header,
 * non-negative integer counts, clicks <= impressions. Every error names file:line and the column.
 */
import * as fs from "node:fs";
import { InputError } from "../core/errors";

/** The variants of the file, in the order control, treatment. */
export const PER_USER_VARIANTS = { control: "baseline", treatment: "challenger" } as const;

const REQUIRED_COLUMNS = ["variant", "clicks", "impressions"] as const;
const PRE_PERIOD_COLUMNS = ["pre_clicks", "pre_impressions"] as const;

/** One arm's users, in file order: clicks[u] and impressions[u] belong to the same user u. */
export interface PerUserArm {
  readonly clicks: readonly number[];
  readonly impressions: readonly number[];
  /** present when the file has the pre_clicks and pre_impressions columns */
  readonly preClicks?: readonly number[];
  readonly preImpressions?: readonly number[];
}

export interface PerUserSummary {
  readonly file: string;
  readonly control: PerUserArm;
  readonly treatment: PerUserArm;
  readonly hasPrePeriod: boolean;
}

/**
 * Parses the text of a per-user summary file; `file` names it in errors. `requireBothVariants` false accepts a
 * file of one population (a pre-period, everyone on the baseline) whose caller pools the variants.
 */
export function parsePerUserCsv(text: string, file: string, requireBothVariants = true): PerUserSummary {
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new InputError("the file is empty; expected a header row", { file, line: 1 });
  const header = lines[0].split(",").map((name) => name.trim());
  for (const name of header)
    if (![...REQUIRED_COLUMNS, ...PRE_PERIOD_COLUMNS].includes(name as never))
      throw new InputError(
        `unknown column; expected ${[...REQUIRED_COLUMNS, ...PRE_PERIOD_COLUMNS].join(", ")}`,
        { file, line: 1, field: name },
      );
  const repeated = header.find((name, i) => header.indexOf(name) !== i);
  if (repeated !== undefined)
    throw new InputError("the column appears twice in the header", { file, line: 1, field: repeated });
  for (const name of REQUIRED_COLUMNS)
    if (!header.includes(name))
      throw new InputError(`missing column; expected a header with ${REQUIRED_COLUMNS.join(",")}`, {
        file,
        line: 1,
        field: name,
      });
  const prePresent = PRE_PERIOD_COLUMNS.filter((name) => header.includes(name));
  if (prePresent.length === 1)
    throw new InputError(`missing column; pre_clicks and pre_impressions come together`, {
      file,
      line: 1,
      field: PRE_PERIOD_COLUMNS.find((name) => !header.includes(name)),
    });
  const hasPrePeriod = prePresent.length === 2;
  const columnIndex = (name: string) => header.indexOf(name);

  type Arm = { clicks: number[]; impressions: number[]; preClicks: number[]; preImpressions: number[] };
  const arms: Record<"control" | "treatment", Arm> = {
    control: { clicks: [], impressions: [], preClicks: [], preImpressions: [] },
    treatment: { clicks: [], impressions: [], preClicks: [], preImpressions: [] },
  };
  lines.slice(1).forEach((text, index) => {
    const line = index + 2;
    if (text.includes('"'))
      throw new InputError("quoted fields are not supported in a per-user file", { file, line });
    const fields = text.split(",");
    if (fields.length !== header.length)
      throw new InputError(`expected ${header.length} fields (${header.join(",")}), got ${fields.length}`, {
        file,
        line,
      });
    const field = (name: string) => fields[columnIndex(name)].trim();
    const count = (name: string) => {
      const value = field(name);
      if (!/^\d+$/.test(value))
        throw new InputError(`expected a non-negative integer count, got "${value}"`, {
          file,
          line,
          field: name,
        });
      return Number(value);
    };
    const variant = field("variant");
    const arm =
      variant === PER_USER_VARIANTS.control
        ? arms.control
        : variant === PER_USER_VARIANTS.treatment
          ? arms.treatment
          : undefined;
    if (arm === undefined)
      throw new InputError(
        `unknown variant "${variant}"; expected ${PER_USER_VARIANTS.control} (control) or ${PER_USER_VARIANTS.treatment} (treatment)`,
        { file, line, field: "variant" },
      );
    const clicksAndImpressions = (clicksColumn: string, impressionsColumn: string) => {
      const clicks = count(clicksColumn);
      const impressions = count(impressionsColumn);
      if (clicks > impressions)
        throw new InputError(`${clicks} clicks cannot exceed ${impressions} ${impressionsColumn}`, {
          file,
          line,
          field: clicksColumn,
        });
      return [clicks, impressions];
    };
    const [clicks, impressions] = clicksAndImpressions("clicks", "impressions");
    arm.clicks.push(clicks);
    arm.impressions.push(impressions);
    if (hasPrePeriod) {
      const [preClicks, preImpressions] = clicksAndImpressions("pre_clicks", "pre_impressions");
      arm.preClicks.push(preClicks);
      arm.preImpressions.push(preImpressions);
    }
  });

  const finish = (role: "control" | "treatment"): PerUserArm => {
    const arm = arms[role];
    const name = PER_USER_VARIANTS[role];
    if (requireBothVariants && arm.clicks.length < 2)
      throw new InputError(
        `${arm.clicks.length} ${name} rows; expected at least 2 users in each of ` +
          `${PER_USER_VARIANTS.control} and ${PER_USER_VARIANTS.treatment}`,
        { file, field: "variant" },
      );
    if (requireBothVariants && arm.impressions.every((n) => n === 0))
      throw new InputError(
        `every ${name} user has 0 impressions; the ratio clicks/impressions is undefined`,
        {
          file,
          field: "impressions",
        },
      );
    if (hasPrePeriod && arm.preImpressions.every((n) => n === 0))
      throw new InputError(
        `every ${name} user has 0 pre_impressions; the pre-period ratio CUPED adjusts by is undefined`,
        { file, field: "pre_impressions" },
      );
    return hasPrePeriod
      ? {
          clicks: arm.clicks,
          impressions: arm.impressions,
          preClicks: arm.preClicks,
          preImpressions: arm.preImpressions,
        }
      : { clicks: arm.clicks, impressions: arm.impressions };
  };
  return { file, control: finish("control"), treatment: finish("treatment"), hasPrePeriod };
}

/** Reads and parses a per-user summary file (`parsePerUserCsv`). */
export function readPerUserCsv(file: string, requireBothVariants = true): PerUserSummary {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError(`cannot read the per-user file: ${(error as Error).message}`, { file });
  }
  return parsePerUserCsv(text, file, requireBothVariants);
}
