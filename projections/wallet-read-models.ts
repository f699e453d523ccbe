import type { Projection } from './read-model.ts';
import { balancesReadModel } from './read-models/balances.ts';
import { historyReadModel } from './read-models/history.ts';
import { transfersReadModel } from './read-models/transfers.ts';
import { usersReadModel } from './read-models/users.ts';

/** The read models the read API serves: users, balances, transaction history and transfers. */
export const walletReadModels: Projection = {
  name: 'wallet-read-models',
  readModels: [usersReadModel, balancesReadModel, historyReadModel, transfersReadModel],
};

/** Every projection this deployment runs, by name (what `cambio projections rebuild` takes). */
export const PROJECTIONS: readonly Projection[] = Object.freeze([walletReadModels]);
