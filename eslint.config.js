// ESLint for hookd: typescript-eslint's type-aware recommended rules, above all no-floating-promises and
// no-misused-promises (a forgotten `await` in a job is a rejection nobody handles, and hookd exits on those).
// Run by `npm run lint`, first in `npm test`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "bench/node_modules/", "coverage/", "openapi.json", "web/dist/", "packages/*/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // Left out on purpose. The no-unsafe-* family flags every use of an `any`, and the tests read JSON answers
      // as `Record<string, any>` by design (hundreds of lines that would gain casts, not safety). require-await
      // flags async methods without an await: store adapters implement the async Store contract synchronously on
      // SQLite, which is the point of the contract.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/require-await": "off",
      // `_` names say "deliberately unused" (a field taken out of a spread, an argument an interface requires).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
