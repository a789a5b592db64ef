// The part of madge's API the layering test uses (madge ships no types).
declare module "madge" {
  interface MadgeResult {
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  interface MadgeConfig { fileExtensions?: string[]; tsConfig?: string; excludeRegExp?: RegExp[] }
  export default function madge(path: string, config?: MadgeConfig): Promise<MadgeResult>;
}
