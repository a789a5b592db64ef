/** A kernel written by build-wasm for a rule: its export name, the rule class, its AssemblyScript code. */
export interface GeneratedKernel {
  name: string;
  rule: string;
  code: string;
}
/** A kernel file of assembly/optim/: its hand-written exported kernels, and the kernels build-wasm writes for its rule. */
export interface KernelFile {
  stem: string;
  exports: string[];
  generated: GeneratedKernel[];
  /** The file's text. */
  source: string;
}
/** The rule class of each optimizer's elementwise f32 kernel in `dir` (assembly/optim), with its file's text. */
export function elementwiseRules(dir?: string): Array<{ kernel: string; rule: string; source: string; file: string }>;
/** The kernels build-wasm writes for the exported rule class of an assembly/optim/<stem>.ts source. */
export function ruleKernels(stem: string, source: string): GeneratedKernel[];
export function kernelFiles(dir?: string): KernelFile[];
/** build/optim-exports.ts: every kernel of kernelFiles(), which assembly/index.ts re-exports. */
export function optimExports(dir?: string): string;
