import { defineConfig } from "vitest/config";

/**
 * tfjs's CPU backend advises installing tfjs-node on its first use in every Node process (so once per test
 * worker: three times in a run); the tests use the CPU and Wasm backends on purpose, so the advice is noise.
 */
export const TFJS_NODE_BANNER = "Hi, looks like you are running TensorFlow.js in Node.js. To speed things up dramatically";

export default defineConfig({
  test: {
    // tfjs-core's optimizer tests keep their file names (`*_test.ts`) so that they diff cleanly against tfjs.
    include: ["test/**/*.test.ts", "test/adapters/tfjs-core/*_test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    onConsoleLog: (log) => (log.includes(TFJS_NODE_BANNER) ? false : undefined),
  },
});
