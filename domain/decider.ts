/**
 * The shape every aggregate follows: pure functions, no I/O, no clock, no randomness.
 * Whatever is impure (the time, a generated code, a password hash, a live rate) is read by
 * the command handler and passed in on the command.
 */

/** A domain event as decided: a type and JSON-safe data (money as decimal strings). */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  type: Type;
  data: Data;
}

/**
 * What `decide` returns. Usually either events or an error. Both together mean: record
 * these events, then still answer with the error (a wrong verification code is counted
 * and also refused).
 */
export interface Decision<E extends DomainEvent> {
  events: E[];
  error?: import('./errors.ts').DomainError;
}

export interface Decider<Command, State, E extends DomainEvent> {
  initialState: () => State;
  decide: (command: Command, state: State) => Decision<E>;
  evolve: (state: State, event: E) => State;
}

export const accept = <E extends DomainEvent>(...events: E[]): Decision<E> => ({ events });
export const reject = <E extends DomainEvent>(
  error: import('./errors.ts').DomainError,
  ...events: E[]
): Decision<E> => ({ events, error });
