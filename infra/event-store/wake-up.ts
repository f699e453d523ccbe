/**
 * A change counter that waiters can sleep on. Waiters pass the version they saw before they
 * last looked, so a change that lands between looking and going to sleep is never missed.
 */
export interface WakeUp {
  /** Increases on every `notify()`. */
  version(): number;
  notify(): void;
  /**
   * Resolves when the version differs from `seen`, after `timeoutMs`, or when `signal`
   * aborts, whichever comes first. Never rejects.
   */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

export const createWakeUp = (): WakeUp => {
  let version = 0;
  const waiters = new Set<() => void>();
  return {
    version: () => version,
    notify() {
      version += 1;
      for (const wake of [...waiters]) wake();
    },
    wait(seen, timeoutMs, signal) {
      if (seen !== version || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeoutMs);
        signal.addEventListener('abort', wake, { once: true });
        waiters.add(wake);
      });
    },
  };
};
