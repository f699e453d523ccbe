import type { JetStreamClient, KV, KvOptions } from 'nats';

/** A JetStream KV bucket that binds again after a failure. */
export interface RebindingBucket {
  /** Binds (creating the bucket if needed) once; a failed bind is retried on the next call. */
  bind(): Promise<KV>;
  /**
   * Runs `use` on the bucket. A failure may mean the server lost the bucket (a restart, an
   * empty store): the next call binds afresh, which creates it again.
   */
  use<T>(use: (kv: KV) => Promise<T>): Promise<T>;
}

export const rebindingBucket = (
  js: JetStreamClient,
  name: string,
  options: Partial<KvOptions>,
): RebindingBucket => {
  let view: Promise<KV> | null = null;
  const bind = (): Promise<KV> => {
    if (view === null) {
      const pending = js.views.kv(name, options);
      view = pending;
      pending.catch(() => {
        if (view === pending) view = null;
      });
    }
    return view;
  };
  return {
    bind,
    async use(use) {
      const current = bind();
      try {
        return await use(await current);
      } catch (error) {
        if (view === current) view = null;
        throw error;
      }
    },
  };
};
