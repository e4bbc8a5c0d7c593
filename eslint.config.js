// Lint rules: typescript-eslint's recommended set plus the house rules from DESIGN.md
// (verify and client never import server code; core never imports Fastify; the
// server and the CLI reach the store only through the core's API, core/api.ts).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "web/dist/**", "node_modules/**", "data/**", "test-results/**", ".stryker-tmp/**", "reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    files: ["src/verify/**", "src/client/**", "web/src/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { group: ["**/server/**", "**/core/**", "**/store/**", "**/cli/**", "fastify", "kysely"],
          message: "verify and client ship to other processes and browsers: no server code." },
      ] }],
    },
  },
  {
    files: ["src/core/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { group: ["fastify", "@fastify/*", "**/server/**"], message: "core never imports the web framework." },
      ] }],
    },
  },
  {
    files: ["src/server/**", "src/cli/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [
        { group: ["**/store/**", "kysely"], message: "the server and the CLI call the core's API (core/api.ts), never the store." },
      ] }],
    },
  },
);
