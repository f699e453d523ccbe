import { expect } from 'chai';
import fc from 'fast-check';
import { isDomainError } from '../../../domain/errors.ts';
import {
  normalizeMail,
  registrationStreamId,
  tryNormalizeMail,
} from '../../../domain/user/index.ts';

const rejection = (mail: string) => {
  try {
    normalizeMail(mail);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('normalizeMail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeMail('  Alice.Liddell+wallet@Example.CO.uk\n')).to.equal(
      'alice.liddell+wallet@example.co.uk',
    );
  });

  for (const mail of [
    'a@b.co',
    "o'hara@example.ie",
    'x@sub-domain.example.com',
    'user@xn--80ak6aa92e.com',
    'user@example.xn--p1ai',
    `${'l'.repeat(64)}@example.com`,
  ]) {
    it(`accepts ${mail}`, () => {
      expect(normalizeMail(mail)).to.equal(mail.toLowerCase());
    });
  }

  for (const mail of [
    '',
    '   ',
    'alice',
    'alice@',
    '@example.com',
    'alice@example',
    'alice@@example.com',
    'alice@exa mple.com',
    'al ice@example.com',
    '.alice@example.com',
    'alice.@example.com',
    'al..ice@example.com',
    'alice@-example.com',
    'alice@example-.com',
    'alice@example..com',
    'alice@example.c',
    'alice@example.123',
    'alice@[127.0.0.1]',
    '"alice"@example.com',
    'älice@example.com',
    `${'l'.repeat(65)}@example.com`,
    `a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(63)}.com`,
  ]) {
    it(`rejects ${JSON.stringify(mail)} as validation mail_invalid`, () => {
      const error = rejection(mail);
      expect(isDomainError(error), String(error)).to.equal(true);
      if (!isDomainError(error)) return;
      expect(error.kind).to.equal('validation');
      expect(error.code).to.equal('mail_invalid');
      expect(error.details.field).to.equal('mail');
    });
  }

  it('rejects a value that is not text instead of crashing', () => {
    const error = rejection(42 as unknown as string);
    expect(isDomainError(error) && error.code).to.equal('mail_invalid');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (mail) => {
        const once = tryNormalizeMail(mail);
        if (!once.ok) return;
        expect(normalizeMail(once.mail)).to.equal(once.mail);
        expect(normalizeMail(`  ${mail.toUpperCase()} `)).to.equal(once.mail);
      }),
    );
  });

  it('answers with the error as a value from tryNormalizeMail', () => {
    const result = tryNormalizeMail('nope');
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.error.code).to.equal('mail_invalid');
  });
});

describe('registrationStreamId', () => {
  it('prefixes the caller-derived key', () => {
    expect(registrationStreamId('3f2a9c')).to.equal('registration-3f2a9c');
  });

  it('refuses an empty key, which would merge every address into one stream', () => {
    expect(() => registrationStreamId('')).to.throw(TypeError);
  });
});
