/**
 * What both backends' group commits share: the outcome of each write in a group, and the bookkeeping once a group
 * has committed (settling each write's promise, counting the group for `groupCommitStats`).
 */
import type { GroupCommitStats } from "./types";

/** What a group commit did with one write: its result, or the error that rolled it back alone. */
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The callbacks of the promise a write's caller awaits. */
export interface SettlesOnCommit {
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/**
 * The group commits of one store: `committed` settles a committed group's writes and counts it.
 *
 * @example
 * const log = new GroupCommitLog();
 * log.committed(writes, outcomes, performance.now() - 3); // after COMMIT: each promise settles
 * log.stats(); // => { commits: 1, writes: writes.length, longestMs: ~3 }
 */
export class GroupCommitLog {
  private commits = 0;
  private writes = 0;
  private longestMs = 0;

  /** After a group's COMMIT, begun at `startedMs` (performance.now()): each write gets its outcome. */
  committed(writes: readonly SettlesOnCommit[], outcomes: readonly WriteOutcome[], startedMs: number): void {
    this.commits++;
    this.writes += writes.length;
    this.longestMs = Math.max(this.longestMs, performance.now() - startedMs);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) writes[i].resolve(outcome.value as never);
      else writes[i].reject(outcome.error);
    });
  }

  /** Group commits so far, the writes they held and the longest one in milliseconds. */
  stats(): GroupCommitStats {
    return { commits: this.commits, writes: this.writes, longestMs: this.longestMs };
  }
}
