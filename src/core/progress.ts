/**
 * Progress for long work (downloads, preprocessing, training epochs, simulated visits). On a terminal it is a
 * live cli-progress bar; elsewhere (CI logs, notebooks, pipes) it prints a plain line at most every few seconds,
 * so logs stay readable.
 */
import { SingleBar, Presets } from "cli-progress";

export interface Progress {
  /** Sets the completed amount and optional named values shown after the bar (e.g. `{ loss: "0.41" }`). */
  update(done: number, values?: Record<string, string | number>): void;
  /** Marks completion and prints the final state once. */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Unit shown in plain-line mode, e.g. "rows", "epochs", "visits". */
  unit?: string;
  /** Silences output entirely (tests, library use). */
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  /** Minimum seconds between plain lines. */
  intervalSeconds?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) return terminalBar(options, stream);
  return plainLines(options, stream);
}

function formatValues(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${v}`)
    .join("  ");
}

function terminalBar(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    {
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? ""} | ETA {eta_formatted} | {extra}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(options.total, 0, { extra: "" });
  return {
    update(done, values) {
      bar.update(done, { extra: values ? formatValues(values) : "" });
    },
    stop() {
      bar.stop();
    },
  };
}

function plainLines(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const started = Date.now();
  const intervalMs = (options.intervalSeconds ?? 5) * 1000;
  let lastPrinted = 0;
  let last = { done: 0, values: {} as Record<string, string | number> };
  const print = () => {
    const elapsedS = (Date.now() - started) / 1000;
    const fraction = options.total > 0 ? last.done / options.total : 1;
    const etaS = fraction > 0 ? elapsedS * (1 / fraction - 1) : NaN;
    const extra = formatValues(last.values);
    stream.write(
      `${options.label}: ${last.done}/${options.total} ${options.unit ?? ""} (${(fraction * 100).toFixed(0)}%)` +
        ` elapsed ${elapsedS.toFixed(1)}s` +
        (Number.isFinite(etaS) && fraction < 1 ? ` ETA ${etaS.toFixed(0)}s` : "") +
        (extra ? `  ${extra}` : "") +
        "\n",
    );
    lastPrinted = Date.now();
  };
  return {
    update(done, values) {
      last = { done, values: values ?? last.values };
      if (Date.now() - lastPrinted >= intervalMs) print();
    },
    stop() {
      print();
    },
  };
}
