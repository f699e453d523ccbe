import type { Lease } from '../../ports/lease.ts';

/** The embedded deployment's lease: one process, no peer to exclude, so it is held at once. */
export const createLocalLease = (): Lease => {
  let held = false;
  return {
    acquire: async () => {
      held = true;
    },
    held: () => held,
    onLost: () => {},
    release: async () => {
      held = false;
    },
  };
};
