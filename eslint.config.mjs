// Lint: typescript-eslint's recommended rules; formatting is prettier's (npm run lint runs both).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "cdktf.out/", "docs/api/", "bench/results/", ".lab/", ".hostnet/", "**/*.js", "**/*.mjs", "**/.gen/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // cdktf's and jest's own types use `any` at the edges (toTerraform, synth output).
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // Prettier (printWidth 150) cannot break long string literals; keep them split into concatenated parts.
      "max-len": ["error", { code: 200, ignoreUrls: true }],
    },
  },
  {
    // Tests load modules inside jest.isolateModules, and the bench after its spawn counters are in place.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
