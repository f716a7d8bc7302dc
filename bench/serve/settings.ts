/** The bench's settings, from the environment (see bench/serve.ts), and the goals it checks. */

export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
/** Requests sent to each target before measuring, so that the JIT has compiled the hot paths. */
export const WARMUP_REQUESTS = Number(process.env.BENCH_WARMUP ?? 3000);
/** BENCH_POSTGRES=0 skips the runs on PostgreSQL (1 and REPLICAS router replicas on one database). */
export const POSTGRES = process.env.BENCH_POSTGRES !== "0";
/** The router replicas of the scale-out run on PostgreSQL. */
export const REPLICAS = 3;
/** The users of ml-latest-small: predictions cycle over 1..USERS. */
export const USERS = 610;
/** The goals. */
export const GOAL_THROUGHPUT_RATIO = 0.5;
export const GOAL_P99_MS = 20;
