/** A kernel file of assembly/optim/: its exported kernels, and the low-precision twins build-wasm writes for it. */
export interface KernelFile {
  stem: string;
  exports: string[];
  twins: Array<{ name: string; rule: string; code: string }>;
  /** The file's text. */
  source: string;
  /** The rule class of the file's own `<stem>_f32` when its body is one elementwise<Rule, f32>(...) call. */
  rule: string | undefined;
}
export function kernelFiles(dir?: string): KernelFile[];
/** build/optim-exports.ts: every kernel of kernelFiles(), which assembly/index.ts re-exports. */
export function optimExports(dir?: string): string;
