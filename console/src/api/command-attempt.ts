import { ApiProblem } from './problem.ts';

const randomKey = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * Idempotency keys for one form. A new submission gets a new key; submitting the very same
 * command again after the server could not be reached reuses the key, so if the first attempt
 * did arrive, the retry gets its answer instead of moving money twice.
 */
export const createCommandAttempts = () => {
  let unanswered: { command: string; key: string } | null = null;
  return async <T>(
    command: { path: string; body: unknown },
    send: (key: string) => Promise<T>,
  ): Promise<T> => {
    const text = JSON.stringify(command);
    const key = unanswered?.command === text ? unanswered.key : randomKey();
    unanswered = { command: text, key };
    try {
      const answer = await send(key);
      unanswered = null;
      return answer;
    } catch (error) {
      if (!(error instanceof ApiProblem && error.status === 0)) unanswered = null;
      throw error;
    }
  };
};
