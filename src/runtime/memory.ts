// The memory of a ParamStore: one WebAssembly.Memory, a bump allocator over it, its growth, and the views
// that follow it. Offsets are plain JS numbers over the whole wasm32 range [0, 4 GiB): never 32-bit bitwise
// operators, which would turn offsets past 2 GiB negative (they reach the kernels' usize parameters as the
// same 32 bits). With a shared memory a grown memory never detaches old views; otherwise `buffer` and `f32`
// are rebuilt after growth.

export const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB, the maximum the modules declare
export const MAX_BYTES = MAX_PAGES * PAGE;
const ALLOC_ALIGN = 4096; // each allocation starts on a 4 KiB boundary plus a skew (below)
// Arrays that one kernel streams together (param, grad, state) must not sit at the same offset modulo 4 KiB:
// loads then falsely depend on earlier stores to other arrays (4K aliasing) and compete for the same cache
// sets, which cost a third of Adam's speed here. Each allocation starts on a page boundary plus a skew
// that differs between consecutive allocations, and a block's grads are skewed against its values.
const SKEWS = [64, 640, 1216, 1792, 2368, 2944, 3520];
const EMPTY = new Float32Array(0);

/**
 * V8 does not count a shared WebAssembly.Memory toward the external memory that schedules garbage
 * collections, so the memories of disposed stores (which only the collector can free) piled up: 100 stores
 * of 2M floats created, stepped and disposed peaked at 3.1 GB. A ballast that V8 does count (a resizable
 * ArrayBuffer, or a non-shared Memory where resizable buffers are missing), kept as large as the memory and
 * never touched (so it costs address space, not RAM), makes the collector run as it does for non-shared
 * memories. Memories are never reused, so a view kept past dispose() cannot alias another store's data.
 */
interface Ballast { grow(bytes: number): void }
function ballast(bytes: number, maxBytes: number): Ballast | undefined {
  try {
    if (typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === "function") {
      const b = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer & { resize(n: number): void })(bytes, { maxByteLength: maxBytes });
      return { grow: (n) => { try { b.resize(n); } catch { /* the ballast is only a hint */ } } };
    }
    const m = new WebAssembly.Memory({ initial: bytes / PAGE, maximum: maxBytes / PAGE });
    return { grow: (n) => { try { m.grow(n / PAGE - m.buffer.byteLength / PAGE); } catch { /* only a hint */ } } };
  } catch {
    return undefined;
  }
}

/** Where an allocation of `bytes` goes when `top` bytes are in use after `allocs` allocations. */
function placeAt(top: number, allocs: number, bytes: number, align: number): { start: number; end: number } {
  let start = Math.ceil(top / ALLOC_ALIGN) * ALLOC_ALIGN + SKEWS[allocs % SKEWS.length]!;
  if (start % align !== 0) start = Math.ceil(start / align) * align;
  return { start, end: start + bytes };
}

/** One store's memory: created by open(), grown by allocBytes(), released by close(). */
export class StoreMemory {
  /** The most bytes the memory may grow to (whole pages). */
  readonly maxBytes: number;
  #memory: WebAssembly.Memory | undefined;
  #ballast: Ballast | undefined;
  #top = 16; // byte 0 stays unused so that pointer 0 means "no buffer"
  #allocs = 0;
  #buffer: ArrayBufferLike = new ArrayBuffer(0);
  #f32: Float32Array = EMPTY;

  constructor(maxBytes: number) {
    this.maxBytes = Math.floor(maxBytes / PAGE) * PAGE;
  }

  /** Creates the WebAssembly.Memory (one page to start). */
  open(shared: boolean): void {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: this.maxBytes / PAGE, shared });
    this.#memory = memory;
    if (shared) this.#ballast = ballast(PAGE, this.maxBytes);
    this.#buffer = memory.buffer;
    this.#f32 = new Float32Array(this.#buffer);
  }

  /** The WebAssembly.Memory (throws once closed). */
  get memory(): WebAssembly.Memory {
    if (this.#memory === undefined) throw new Error("this ParamStore has been disposed");
    return this.#memory;
  }

  /** The memory's current buffer. */
  get buffer(): ArrayBufferLike {
    const b = this.memory.buffer; // throws once closed
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#f32 = new Float32Array(b);
    }
    return b;
  }

  /** A Float32Array over the whole memory (current after growth). */
  get f32(): Float32Array {
    void this.buffer;
    return this.#f32;
  }

  /** Bytes allocated so far. */
  get top(): number {
    return this.#top;
  }

  /** Where the next allocation of `bytes` would go (no side effect). */
  place(bytes: number, align: number): { start: number; end: number } {
    return placeAt(this.#top, this.#allocs, bytes, align);
  }

  /**
   * Reserves `bytes` (zero-filled: fresh memory) aligned to `align`, growing the memory as needed; returns
   * the byte offset. Throws a RangeError when the memory cannot grow to hold them; nothing is changed then.
   */
  allocBytes(bytes: number, align: number): number {
    const { start, end } = this.place(bytes, align);
    const memory = this.memory;
    const have = memory.buffer.byteLength;
    if (end > this.maxBytes) throw this.#oom(bytes);
    if (end > have) {
      const need = Math.ceil((end - have) / PAGE);
      const pages = have / PAGE;
      // Grow by at least a quarter of the current size so that many small allocations grow rarely.
      const grow = Math.min(Math.max(need, Math.ceil(pages / 4)), this.maxBytes / PAGE - pages);
      try {
        memory.grow(grow);
      } catch {
        try {
          memory.grow(need);
        } catch {
          throw this.#oom(bytes);
        }
      }
      this.#ballast?.grow(memory.buffer.byteLength);
    }
    this.#top = end;
    this.#allocs++;
    return start;
  }

  #oom(bytes: number): RangeError {
    return new RangeError(`ParamStore out of memory: cannot allocate ${bytes} bytes (${this.#top} bytes in use, ` +
      `the memory can grow to at most ${this.maxBytes} bytes)`);
  }

  /** A Float32Array view of `length` floats at byte offset `ptr` (current buffer). */
  view(ptr: number, length: number): Float32Array {
    return new Float32Array(this.buffer, ptr, length);
  }

  /** Drops every reference to the memory (the garbage collector frees it; views still held keep it alive). */
  close(): void {
    this.#memory = undefined;
    this.#ballast = undefined;
    this.#buffer = new ArrayBuffer(0);
    this.#f32 = EMPTY;
  }
}
