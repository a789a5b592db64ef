import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // tfjs-core's optimizer tests keep their file names (`*_test.ts`) so that they diff cleanly against tfjs.
    include: ["test/**/*.test.ts", "test/adapters/tfjs-core/*_test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
