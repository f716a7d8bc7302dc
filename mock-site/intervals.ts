/**
 * Wilson score interval for the experiment page. Same signature as `wilsonInterval` in src/experiment/intervals
 * (the statistics layer, not yet merged into this branch): once it is, this file is deleted and pages.ts imports
 * `wilsonInterval` from "../src/experiment/intervals" instead (one import).
 *
 * Wilson (1927), JASA 22:209-212; Newcombe (1998), Statistics in Medicine 17:857-872, method 3:
 * (x + z^2/2) / (n + z^2) +- z sqrt(n) / (n + z^2) * sqrt(p (1 - p) + z^2 / (4n)).
 *
 * @example
 * wilsonInterval({ users: 263, clicks: 81 }); // => { lower: 0.2553, upper: 0.3662 } (Newcombe 1998, Table I)
 */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/** z_{0.975}, the two-sided 95% normal critical value. */
const Z_95 = 1.959963984540054;

export function wilsonInterval(summary: { users: number; clicks: number }): Interval {
  const { users: n, clicks: x } = summary;
  if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(x) || x < 0 || x > n)
    throw new RangeError(`wilsonInterval needs integers 0 <= clicks <= users, users > 0; got ${x}/${n}`);
  const p = x / n;
  const z2 = Z_95 * Z_95;
  const center = (x + z2 / 2) / (n + z2);
  const halfWidth = ((Z_95 * Math.sqrt(n)) / (n + z2)) * Math.sqrt(p * (1 - p) + z2 / (4 * n));
  return {
    lower: x === 0 ? 0 : Math.max(0, center - halfWidth),
    upper: x === n ? 1 : Math.min(1, center + halfWidth),
  };
}
