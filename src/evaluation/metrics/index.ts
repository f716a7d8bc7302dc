/** The offline ranking metrics, one per file with its formula. */
export { precisionAtK } from "./precision";
export { recallAtK } from "./recall";
export { ndcgAtK } from "./ndcg";
export { averagePrecisionAtK } from "./average-precision";
export { hitRateAtK } from "./hit-rate";
export { catalogueCoverage } from "./coverage";
export { novelty, itemPopularityShares } from "./novelty";
