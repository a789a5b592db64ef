// Types of docs.mjs, for test/docs-blocks.test.ts.
/** The runtimes a documentation block may name (`runtime=NAME`), each run by the matrix row docs-NAME: how. */
export declare const DOC_RUNTIMES: Record<string, string>;
/** Entries for run.mjs's RUNTIMES. */
export declare function docsRuntimes(ctx: Record<string, unknown>): Record<string, { expect: string; group: string; run: () => unknown }>;
