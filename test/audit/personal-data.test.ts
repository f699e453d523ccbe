import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  decryptField,
  encryptField,
  isEncrypted,
  keyIdOf,
} from '../../commands/personal-data/field-cipher.ts';
import { personalFieldsOf, subjectOf } from '../../commands/personal-data/personal-fields.ts';
import { registrationStreamFor } from '../../commands/user/registration-stream.ts';

describe('personal data fields', () => {
  const key = { keyId: 'k-1', key: randomBytes(32) };

  it('encrypts a field so only its key, event and field read it back', () => {
    const sealed = encryptField(key, 'event-1', 'mail', 'ada@example.com');
    expect(isEncrypted(sealed)).to.equal(true);
    expect(sealed).to.not.include('ada');
    expect(keyIdOf(sealed)).to.equal('k-1');
    expect(decryptField(key.key, 'event-1', 'mail', sealed)).to.equal('ada@example.com');
    // The same event and field give the same bytes: a retried append stores what the first did.
    expect(encryptField(key, 'event-1', 'mail', 'ada@example.com')).to.equal(sealed);
    expect(() => decryptField(key.key, 'event-2', 'mail', sealed)).to.throw();
    expect(() => decryptField(key.key, 'event-1', 'name', sealed)).to.throw();
    expect(() => decryptField(randomBytes(32), 'event-1', 'mail', sealed)).to.throw();
    const flipped = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}${sealed.slice(-1)}`;
    expect(() => decryptField(key.key, 'event-1', 'mail', flipped)).to.throw();
  });

  it("finds a person's own fields beside their address, and other people's addresses", () => {
    expect(
      personalFieldsOf('RegistrationCompleted', {
        mail: 'ada@example.com',
        name: 'Ada',
        lastName: 'Lovelace',
        passwordHash: '$2b$',
        userId: 'u-1',
      }).map(({ field }) => field),
    ).to.deep.equal(['mail', 'name', 'lastName', 'passwordHash']);
    expect(personalFieldsOf('FundsDeposited', { userId: 'u-1', amount: '1' })).to.deep.equal([]);
    expect(personalFieldsOf('TransferSent', { to: 'bob@example.com' })).to.deep.equal([
      { field: 'to', owner: 'bob@example.com' },
    ]);
    for (const type of ['TransferCompleted', 'TransferRefunded']) {
      expect(personalFieldsOf(type, { to: 'bob@example.com', userId: 'u-1' })).to.deep.equal([
        { field: 'to', owner: 'bob@example.com' },
      ]);
    }
    expect(personalFieldsOf('TransferReceived', { fromMail: 'ada@example.com' })).to.deep.equal([
      { field: 'fromMail', owner: 'ada@example.com' },
    ]);
    expect(
      personalFieldsOf('UserRegistered', { mail: '[erased]', name: '[erased]' }),
    ).to.deep.equal([]);
  });

  it("files keys under the address's registration stream key", () => {
    expect(subjectOf(' Ada@Example.com ')).to.equal(registrationStreamFor('ada@example.com').key);
  });
});
