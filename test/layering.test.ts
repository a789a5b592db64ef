// The import graph of src/ (madge: every static, type and re-export edge, .js specifiers resolved to the .ts
// files): imports only go down the layers of CONTRIBUTING.md, and there is no cycle.
import { expect, it } from "vitest";
import madge from "madge";

/** The layers, top first; a module may import its own layer and those below it. */
const LAYERS: readonly (readonly string[])[] = [
  // the package entries: gradstep's, and gradstep/tfjs's (one per exports condition, each re-exporting the
  // adapter's API with the init of gradstep's entry for the same condition)
  ["index.ts", "node.ts", "browser.ts", "bun.ts", "edge-light.ts", "workerd.ts",
    ...["index.ts", "node.ts", "browser.ts", "bun.ts", "edge-light.ts", "workerd.ts"].map((f) => `adapters/tfjs/${f}`)],
  ["api.ts"],
  ["optim/", "transforms/", "schedules/", "checkpoint/", "adapters/", "tuning/", "distributed/", "webgpu/"],
  ["core/", "linalg/"],
  ["runtime/", "generated/"],
  ["abi/"],
];

const layerOf = (file: string): number => LAYERS.findIndex((l) => l.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));

/** The edges of `deps` (module -> its imports) that go up a layer, and the modules in no layer. */
function check(deps: Record<string, string[]>): { upward: string[]; unplaced: string[] } {
  return {
    upward: Object.entries(deps).flatMap(([from, to]) => to.filter((t) => layerOf(t) < layerOf(from)).map((t) => `${from} -> ${t}`)),
    unplaced: Object.keys(deps).filter((f) => layerOf(f) < 0),
  };
}

/**
 * The upward edges of today's tree, each with the change that removes it: the test fails until it is gone
 * and again once it is (then delete the line).
 */
const KNOWN_UPWARD: string[] = [];

const graph = madge("src", { fileExtensions: ["ts"], tsConfig: "tsconfig.json", excludeRegExp: [/\.d\.ts$/] });

it("every module of src/ is in a layer, and every import edge goes down (or stays in its layer)", async () => {
  const deps = (await graph).obj();
  expect(Object.keys(deps).length).toBeGreaterThan(50);
  expect(check(deps)).toEqual({ upward: KNOWN_UPWARD, unplaced: [] }); // unplaced: add its folder to LAYERS
}, 60_000);

it("the check finds the edges it forbids (main's runtime -> core/abi.ts, core -> optim) and unplaced folders", () => {
  expect(check({
    "runtime/threads.ts": ["core/abi.ts", "abi/index.ts"],
    "core/lowp.ts": ["optim/index.ts", "core/spec.ts", "runtime/store.ts"],
    "optim/adam.ts": ["transforms/index.ts", "api.ts"],
    "misc/x.ts": [],
  })).toEqual({
    upward: ["runtime/threads.ts -> core/abi.ts", "core/lowp.ts -> optim/index.ts", "optim/adam.ts -> api.ts"],
    unplaced: ["misc/x.ts"],
  });
});

it("no import cycle (npx madge --circular)", async () => {
  expect((await graph).circular()).toEqual([]);
}, 60_000);
