// Flat config: typescript-eslint's recommended rules over the TypeScript sources, and the layer rule.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers, lowest first, in the direction data flows. A folder may import its own layer and the ones before it,
 * never one after it (docs/development.md). `mock-site/` sits at the top level but is the layer above serving:
 * it calls the router; `src/deployment/` composes the router, the model servers and the site into processes.
 */
export const LAYERS = [
  { name: "core", files: "src/core/**" },
  { name: "data", files: "src/data/**" },
  { name: "models", files: "src/models/**" },
  { name: "evaluation", files: "src/evaluation/**" },
  { name: "stats", files: "src/stats/**" },
  { name: "serving", files: "src/serving/**" },
  { name: "mock-site", files: "mock-site/**" },
  { name: "deployment", files: "src/deployment/**" },
  { name: "simulation", files: "src/simulation/**" },
  { name: "results", files: "src/results/**" },
  { name: "pipeline", files: "src/pipeline/**" },
  { name: "cli", files: "src/cli/**" },
];

/** One no-restricted-imports block per layer: an import path naming a higher layer's folder (or test/) fails. */
const layerRules = LAYERS.map((layer, index) => {
  const higher = [...LAYERS.slice(index + 1).map((l) => l.name), "test", "bench", "scripts"];
  return {
    files: [layer.files],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `(^|/)(${higher.join("|")})(/|$)`,
              message: `${layer.name} is below ${higher.slice(0, -3).join(", ") || "nothing"}: a lower layer never imports a higher one (layers in eslint.config.mjs).`,
            },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "results/", "data/", "notebooks/", "models/", "tmp/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  ...layerRules,
);
