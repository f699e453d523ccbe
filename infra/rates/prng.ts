/**
 * mulberry32: a tiny seeded generator of 32-bit unsigned integers. Not cryptographic; it
 * exists so the simulated market replays the same prices from the same seed.
 */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
};

/** A uniform integer in [min, max], drawn with rejection so no value is favoured. */
export const integerBetween = (next: () => number, min: number, max: number): number => {
  const span = max - min + 1;
  if (!Number.isSafeInteger(span) || span <= 0 || span > 2 ** 32) {
    throw new RangeError(`bad range [${min}, ${max}]`);
  }
  const limit = 2 ** 32 - (2 ** 32 % span);
  for (;;) {
    const draw = next();
    if (draw < limit) return min + (draw % span);
  }
};
