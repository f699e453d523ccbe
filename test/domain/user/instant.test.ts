import { expect } from 'chai';
import {
  addSeconds,
  canonicalInstant,
  parseInstant,
  secondsUntil,
} from '../../../domain/user/index.ts';

describe('instants on commands', () => {
  it('parses ISO-8601 instants with an offset', () => {
    expect(parseInstant('2025-03-01T12:00:00Z')).to.equal(Date.UTC(2025, 2, 1, 12));
    expect(parseInstant('2025-03-01T13:30:00.250+01:30')).to.equal(
      Date.UTC(2025, 2, 1, 12, 0, 0, 250),
    );
  });

  for (const text of [
    '2025-03-01',
    '2025-03-01T12:00:00',
    '2025-03-01 12:00:00Z',
    'yesterday',
    '',
    '2025-13-01T00:00:00Z',
  ]) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(() => parseInstant(text)).to.throw(TypeError);
    });
  }

  it('canonicalizes to UTC with milliseconds', () => {
    expect(canonicalInstant('2025-03-01T13:00:00+01:00')).to.equal('2025-03-01T12:00:00.000Z');
  });

  it('adds seconds', () => {
    expect(addSeconds('2025-03-01T23:59:30.000Z', 60)).to.equal('2025-03-02T00:00:30.000Z');
  });

  it('rounds waiting time up and never below one second', () => {
    expect(secondsUntil('2025-03-01T12:00:00.000Z', '2025-03-01T12:00:00.001Z')).to.equal(1);
    expect(secondsUntil('2025-03-01T12:00:00.000Z', '2025-03-01T12:01:00.000Z')).to.equal(60);
    expect(secondsUntil('2025-03-01T12:00:00.000Z', '2025-03-01T12:00:00.000Z')).to.equal(1);
  });
});
