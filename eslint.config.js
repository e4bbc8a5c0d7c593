// Lint rules: typescript-eslint's recommended set plus the house rules from DESIGN.md
// (the verify and client packages never import server code, the client imports
// verify for types only; core never imports Fastify; the server and the CLI
// reach the store only through the core's API, core/api.ts).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const serverCode = {
  group: ["**/server/**", "**/core/**", "**/store/**", "**/cli/**", "../../../src/**", "fastify", "kysely"],
  message: "verify and client ship to other processes and browsers: no server code.",
};

export default tseslint.config(
  { ignores: ["dist/**", "packages/*/dist/**", "web/dist/**", "node_modules/**", "data/**", "test-results/**", ".stryker-tmp/**", "reports/**"] },
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
    files: ["packages/verify/src/**", "web/src/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [serverCode] }],
    },
  },
  {
    // The client has no dependencies: from the verification library it may
    // import types only (erased from the JavaScript; `@tessera/verify` is an
    // optional peer dependency for the declarations).
    files: ["packages/client/src/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [
        serverCode,
        { group: ["@tessera/verify", "@tessera/verify/*", "**/verify/src/**"], allowTypeImports: true,
          message: "the client installs without @tessera/verify: import its types with `import type`." },
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
