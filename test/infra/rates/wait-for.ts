/** Resolves once `condition` holds, checking every few ms; fails after `limitMs` naming `what`. */
export const waitFor = async (
  condition: () => boolean,
  what: string,
  limitMs = 5000,
): Promise<void> => {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
