/** The WGSL of rule class `rule`'s `at<T, S>` in AssemblyScript `source`: the scalars it reads by name, its statements. */
export function translateRule(source: string, rule: string, file?: string): { scalars: string[]; body: string };
/** src/generated/wgsl-rules.ts: the WGSL rule of each of `rules`, by kernel name. */
export function wgslRulesModule(rules: Array<{ kernel: string; rule: string; source: string; file: string }>): string;
