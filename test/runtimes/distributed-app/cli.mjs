// Deno and Bun: `deno run --allow-read --allow-net cli.mjs <rendezvous url>` / `bun cli.mjs <url>`; prints RESULT.
import * as g from "gradstep";
import * as d from "gradstep/distributed";
import { runDistributed } from "./main.mjs";

await g.init();
const url = (globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2))[0];
const r = await runDistributed(g, d, {
  url, specs: { gradstep: "gradstep", distributed: "gradstep/distributed" },
  workerUrl: new URL("./worker.mjs", import.meta.url).href, sharedExpected: true,
});
console.log("RESULT " + JSON.stringify(r));
globalThis.Deno ? globalThis.Deno.exit(0) : process.exit(0);
