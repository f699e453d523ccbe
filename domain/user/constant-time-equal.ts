/**
 * Compares two strings in time that depends only on their lengths, never on where they first
 * differ, so a caller cannot learn a stored hash one character at a time by timing answers.
 * Hashes of equal algorithms have equal lengths, so the length itself gives nothing away.
 */
export const constantTimeEqual = (a: string, b: string): boolean => {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    // charCodeAt past the end is NaN, which the bitwise operators read as 0.
    difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return difference === 0;
};
