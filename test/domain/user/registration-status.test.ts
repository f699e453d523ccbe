import { expect } from 'chai';
import { registrationStatus } from '../../../domain/user/index.ts';
import { MAIL, at, blocked, completed, failed, issued } from './fixtures.ts';

describe('registration status (for login and register answers)', () => {
  it('is none for an empty stream', () => {
    expect(registrationStatus([], at(0))).to.deep.equal({ status: 'none' });
  });

  it('is pending while a code is alive, with the wrong attempts so far', () => {
    expect(registrationStatus([issued(0), failed(1, 4)], at(10))).to.deep.equal({
      status: 'pending',
      mail: MAIL,
      expiresAt: at(600),
      attempts: 1,
    });
  });

  it('is none again once the code expired', () => {
    expect(registrationStatus([issued(0)], at(600))).to.deep.equal({ status: 'none', mail: MAIL });
  });

  it('is blocked during a block, and none after it', () => {
    const history = [
      issued(0),
      failed(1, 4),
      failed(2, 3),
      failed(3, 2),
      failed(4, 1),
      failed(5, 0),
      blocked(1000),
    ];
    expect(registrationStatus(history, at(999))).to.deep.equal({
      status: 'blocked',
      mail: MAIL,
      until: at(1000),
    });
    expect(registrationStatus(history, at(1000))).to.deep.equal({ status: 'none', mail: MAIL });
  });

  it('is pending for a new code issued after a block', () => {
    expect(
      registrationStatus([issued(0), blocked(900), issued(900, 'hash-B')], at(901)).status,
    ).to.equal('pending');
  });

  it('is registered with what login needs, whatever the time', () => {
    const expected = {
      status: 'registered',
      mail: MAIL,
      userId: 'user-1',
      passwordHash: '$2b$10$passwordhash',
      registeredAt: at(30),
    };
    expect(registrationStatus([issued(0), completed(30)], at(10_000_000))).to.deep.equal(expected);
    expect(registrationStatus([issued(0), completed(30)])).to.deep.equal(expected);
  });

  it('ignores time when no clock is given: the latest fact wins', () => {
    expect(registrationStatus([issued(0)]).status).to.equal('pending');
    expect(registrationStatus([issued(0), blocked(900)]).status).to.equal('blocked');
  });
});
