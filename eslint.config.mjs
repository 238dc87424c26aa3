// ESLint flat config: eslint's and typescript-eslint's recommended rules (syntax only, not type-checked, to stay
// fast), with the rules that only decide layout switched off by eslint-config-prettier (prettier formats the code).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    // The folders .gitignore and .prettierignore leave out (third_party/: upstream source, kept as upstream has it).
    { ignores: ["node_modules/", "bin/", "coverage/", ".cache/", ".pulumi/", ".ci-results/", "third_party/"] },
    js.configs.recommended,
    tseslint.configs.recommended,
    prettier,
    {
        // A disable comment that silences nothing is stale: fail on it.
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            // `const { secret: _s, ...rest } = x` is how a key is left out of a copy.
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
        },
    },
    {
        // CommonJS config files (e2e/jest.config.js) use module.exports.
        files: ["**/*.js"],
        languageOptions: { sourceType: "commonjs" },
    },
    {
        files: ["components/talos/sdk.ts"],
        // The hand-written Talos SDK keeps the machine/cluster/client namespaces of the generated one it stands for.
        rules: { "@typescript-eslint/no-namespace": "off" },
    },
    {
        files: ["tests/**/*.ts", "e2e/**/*.ts"],
        // Tests break and read parsed YAML/JSON (stack values, rendered configs, provider results) by deep paths.
        rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
);
