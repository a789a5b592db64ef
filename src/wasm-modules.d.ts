// Bundlers for Workers (wrangler) and Vercel Edge turn .wasm imports into precompiled modules.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
declare module "*.wasm?module" {
  const module: WebAssembly.Module;
  export default module;
}
