import type { Role } from '../config/settings.ts';

/** What each role runs; `all` runs everything in one process. */
export const roleNeeds = (role: Role) => {
  const is = (name: Role) => role === 'all' || role === name;
  return {
    writeApi: is('write-api'),
    readApi: is('read-api'),
    projector: is('projector'),
    notifier: is('notifier'),
    eventStore: is('write-api') || is('projector'),
    readStore: is('read-api') || is('projector'),
  };
};
