// Bundlers for Workers (wrangler) and Vercel Edge turn .wasm imports into precompiled modules.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.wasm?module" {
  const module: WebAssembly.Module;
  export default module;
}
// The one Node built-in the node entry uses, declared here so the package builds without @types/node
// (tsconfig.build.json: "types": []); with @types/node this merges with its declaration.
declare module "node:fs/promises" {
  export function readFile(path: URL | string): Promise<Uint8Array>;
}
