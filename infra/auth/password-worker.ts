import bcrypt from 'bcryptjs';

/** One job for a hashing thread (infra/auth/password-hasher.ts runs this file in workers). */
export type PasswordTask =
  { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };

// Synchronous on purpose: this thread does nothing else, and one job is one slot of the pool.
export default (task: PasswordTask): string | boolean =>
  task.op === 'hash'
    ? bcrypt.hashSync(task.password, task.cost)
    : bcrypt.compareSync(task.password, task.hash);
