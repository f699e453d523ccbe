/**
 * Snapshot listeners. A listener that throws must not stop the others or the source's own
 * loop, so its error goes to `onError` (the source logs it) and delivery carries on.
 */
export interface ListenerSet<T> {
  add(listener: (value: T) => void): () => void;
  emit(value: T): void;
}

export const createListenerSet = <T>(onError: (error: unknown) => void): ListenerSet<T> => {
  const listeners = new Set<(value: T) => void>();
  return {
    add(listener) {
      // Wrapped so the same function subscribed twice is called twice and unsubscribes once.
      const entry = (value: T) => listener(value);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    emit(value) {
      for (const listener of [...listeners]) {
        try {
          listener(value);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
};
