/**
 * A transport that serves slates straight from the recommenders in this process, with the router's randomisation
 * done here (each visit independently, seeded): the same click model and journal as the HTTP and browser runs,
 * without a network, for Monte Carlo studies (many seeds, A/A runs) and for checking the other transports.
 */
import { InputError } from "../core/errors";
import { Random } from "../core/random";
import type { Recommender } from "../models/recommender";
import type { PlannedVisit, ShownSlate, VisitTransport } from "./visit-loop";

export interface InProcessOptions {
  /** The variants; each visit goes to one of them at random. Two with the same model make an A/A test. */
  variants: { name: string; recommender: Recommender }[];
  /** Probability that a visit goes to each variant (same order); defaults to equal shares. */
  shares?: number[];
  slateLength: number;
  /** Seed of the routing stream. */
  seed: number;
}

/**
 * Routes visit i to a variant with the i-th draw of a seeded stream (draws are indexed by visit number, so a
 * resumed run routes each visit as the uninterrupted run would) and returns that variant's top-k.
 */
export function inProcessTransport(options: InProcessOptions): VisitTransport {
  const { variants, slateLength } = options;
  if (variants.length === 0) throw new InputError("expected at least one variant", { field: "variants" });
  const shares = options.shares ?? variants.map(() => 1 / variants.length);
  if (shares.length !== variants.length || Math.abs(shares.reduce((a, b) => a + b, 0) - 1) > 1e-9)
    throw new InputError("expected one share per variant, summing to 1", { field: "shares" });
  const routing = new Random(options.seed).fork();
  const draws: number[] = [];
  const drawFor = (visit: number) => {
    while (draws.length <= visit) draws.push(routing.float());
    return draws[visit];
  };
  return {
    kind: "in-process",
    reusesShownSlates: true,
    target: variants.map((v) => `${v.name}=${v.recommender.name}@${v.recommender.version}`).join(","),
    async show(visit: PlannedVisit): Promise<ShownSlate> {
      const u = drawFor(visit.visit);
      let chosen = variants.length - 1;
      for (let i = 0, cumulative = 0; i < variants.length; i++) {
        cumulative += shares[i];
        if (u < cumulative) {
          chosen = i;
          break;
        }
      }
      const { name, recommender } = variants[chosen];
      return {
        variant: name,
        requestId: visit.visitId,
        movieIds: recommender.recommend(visit.userId, slateLength).movieIds,
      };
    },
    async finish() {},
    async close() {},
  };
}
