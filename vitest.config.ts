import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Runtime suites start child processes and servers; run files one at a time on this
    // 2-core machine so timing-sensitive cases are not starved.
    fileParallelism: false,
  },
});
