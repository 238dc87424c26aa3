// ESLint flat config: eslint's recommended rules and typescript-eslint's recommended type-checked rules (with type
// information from tsconfig.json through the project service: no-floating-promises and no-misused-promises matter in
// a program full of `.apply` callbacks and dynamic providers), with the rules that only decide layout switched off by
// eslint-config-prettier (prettier formats the code).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    // The folders .gitignore and .prettierignore leave out (third_party/: upstream source, kept as upstream has it).
    { ignores: ["node_modules/", "bin/", "coverage/", ".cache/", ".pulumi/", ".ci-results/", "third_party/"] },
    js.configs.recommended,
    tseslint.configs.recommendedTypeChecked,
    prettier,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        // A disable comment that silences nothing is stale: fail on it.
        linterOptions: { reportUnusedDisableDirectives: "error" },
        rules: {
            // `const { secret: _s, ...rest } = x` is how a key is left out of a copy.
            "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
        },
    },
    {
        // The JavaScript files (this one, e2e/jest.config.js) are outside the TypeScript project; jest's config is
        // CommonJS (module.exports).
        files: ["**/*.js", "**/*.mjs"],
        extends: [tseslint.configs.disableTypeChecked],
    },
    {
        files: ["**/*.js"],
        // CommonJS run by Node.js (e2e/jest.config.js, components/compile-cache.js): Node's globals beside CommonJS's.
        languageOptions: {
            sourceType: "commonjs",
            globals: { process: "readonly", __dirname: "readonly", __filename: "readonly" },
        },
    },
    {
        files: ["components/talos/sdk.ts"],
        // The hand-written Talos SDK keeps the machine/cluster/client namespaces of the generated one it stands for.
        rules: { "@typescript-eslint/no-namespace": "off" },
    },
    {
        files: ["tests/**/*.ts", "e2e/**/*.ts"],
        // Tests break and read parsed YAML/JSON (stack values, rendered configs, provider results) by deep paths, as
        // `any`: the rules against `any` and against using one are off there.
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
    {
        // Still to fix in e2e/ by those who are reworking it (its owners' files; nothing here changes them): the
        // findings of these four type-aware rules. The others, no-floating-promises and no-misused-promises included,
        // hold for e2e/ already. Remove this block once `npx eslint e2e` passes without it.
        files: ["e2e/**/*.ts"],
        rules: {
            "@typescript-eslint/no-base-to-string": "off",
            "@typescript-eslint/no-unnecessary-type-assertion": "off",
            "@typescript-eslint/require-await": "off",
            "@typescript-eslint/restrict-template-expressions": "off",
        },
    },
);
