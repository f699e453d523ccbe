import { expect } from 'chai';
import type { Decider, DomainEvent } from '../../domain/decider.ts';

/**
 * Given/when/then for deciders, in the style of Emmett's DeciderSpecification:
 *   spec.given([events]).when(command).then([events])
 *   spec.given([events]).when(command).thenFails('insufficient_funds')
 */
export const deciderSpec = <C, S, E extends DomainEvent>(decider: Decider<C, S, E>) => ({
  given: (history: E[]) => ({
    when: (command: C) => {
      const run = () =>
        decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: E[]) => {
          const decision = run();
          expect(decision.error, 'unexpected rejection').to.equal(undefined);
          expect(decision.events).to.deep.equal(expected);
        },
        /** The command is refused with this error code; `events` are still recorded (default none). */
        thenFails: (code: string, events: E[] = []) => {
          const decision = run();
          expect(decision.error?.code, 'expected a rejection').to.equal(code);
          expect(decision.events).to.deep.equal(events);
          return decision.error;
        },
      };
    },
  }),
});
