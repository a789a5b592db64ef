/** The optimizers' exports of the Wasm module (build/optim-exports.ts), from assembly/optim/ (or `dir`). */
export function optimExports(dir?: string): string;
