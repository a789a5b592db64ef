export function seeded(seed: number): () => number;
export function randomF32(n: number, rand: () => number): Float32Array;
