import { expect } from 'chai';
import fc from 'fast-check';
import { constantTimeEqual } from '../../../domain/user/index.ts';

describe('constantTimeEqual', () => {
  // Any UTF-16 code unit, lone surrogates and NUL included.
  const text = fc.string({
    unit: fc.nat({ max: 0xffff }).map((code) => String.fromCharCode(code)),
  });

  it('agrees with === on any pair of strings', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(constantTimeEqual(a, b)).to.equal(a === b);
        expect(constantTimeEqual(a, a)).to.equal(true);
      }),
    );
  });

  it('notices a single changed code unit anywhere', () => {
    fc.assert(
      fc.property(
        text.filter((a) => a.length > 0),
        fc.nat(),
        fc.nat({ max: 0xfffe }),
        (a, at, by) => {
          const i = at % a.length;
          const changed = String.fromCharCode((a.charCodeAt(i) + by + 1) % 0x10000);
          expect(constantTimeEqual(a, a.slice(0, i) + changed + a.slice(i + 1))).to.equal(false);
        },
      ),
    );
  });

  it('tells apart strings where one is a prefix of the other', () => {
    expect(constantTimeEqual('abc', 'abcd')).to.equal(false);
    expect(constantTimeEqual('', 'a')).to.equal(false);
    expect(constantTimeEqual('a', '')).to.equal(false);
    expect(constantTimeEqual('', '')).to.equal(true);
  });

  it('does not take a NUL past the end for a match', () => {
    expect(constantTimeEqual('ab\u0000', 'ab')).to.equal(false);
  });

  it('compares hex digests exactly', () => {
    const a = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(constantTimeEqual(a, a.slice())).to.equal(true);
    expect(constantTimeEqual(a, `${a.slice(0, -1)}4`)).to.equal(false);
    expect(constantTimeEqual(a, `f${a.slice(1)}`)).to.equal(false);
  });
});
