/** A small seeded PRNG for shuffling and augmentation, independent of the tensor RNG. @module */

/** A seeded stream of uniform floats in [0, 1) (mulberry32). */
export class Rng {
  #state: number;

  /** `seed` (any integer); omitted, a random seed is drawn from `Math.random`. */
  constructor(seed?: number) {
    if (seed !== undefined && !Number.isFinite(seed)) {
      throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    }
    this.#state = (seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  }

  /** The next uniform float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
