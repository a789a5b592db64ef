// Installs the tools/ workspace (vitest, tsx, TensorFlow.js, the bench and docs tools: what the tests, bench,
// demo and docs need, not the build) on first use and whenever tools/package.json or the lockfile changed.
// `npm install` alone installs only the build's tools (.npmrc: workspaces=false), so a consumer's git install
// stays small and fast; `npm test`, `npm start`, `npm run bench` and `npm run docs` call this first.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = join(root, "node_modules", ".gradstep-dev-tools.json");
const manifest = JSON.parse(readFileSync(join(root, "tools", "package.json"), "utf8"));
const hash = createHash("sha256")
  .update(readFileSync(join(root, "tools", "package.json")))
  .update(readFileSync(join(root, "package-lock.json")))
  .digest("hex");
const installed = Object.keys(manifest.dependencies).every((d) => existsSync(join(root, "node_modules", d, "package.json")));
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, "utf8")).hash : undefined;
if (installed && stamp === hash) process.exit(0);

console.log("gradstep: installing the development tools (tests, bench, demo, docs: the tools/ workspace)...");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const r = spawnSync(npm, ["install", "--workspaces=true", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(`gradstep: installing the development tools failed (npm exited with ${r.status ?? r.signal})`);
  process.exit(1);
}
writeFileSync(stampFile, JSON.stringify({ hash }) + "\n");
