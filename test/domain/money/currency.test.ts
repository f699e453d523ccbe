import { expect } from 'chai';
import { currencies, currency, isCurrency } from '../../../domain/money/currency.ts';
import { DomainError } from '../../../domain/errors.ts';

describe('currency registry', () => {
  it('knows fiat at scale 2 and crypto at its on-chain precision', () => {
    const scales = Object.fromEntries(currencies().map((c) => [c.code, c.scale]));
    expect(scales).to.include({ USD: 2, EUR: 2, GBP: 2, BTC: 8, ETH: 18, SOL: 9, DOT: 10 });
    expect(scales).to.include({ XRP: 6, XLM: 7, DOGE: 8, USDC: 6, USDT: 6, ETC: 18 });
    expect(currency('USD').kind).to.equal('fiat');
    expect(currency('BTC').kind).to.equal('crypto');
  });

  it('lists at least fifteen crypto currencies besides BTC and ETH, each once', () => {
    const codes = currencies().map((c) => c.code);
    expect(new Set(codes).size).to.equal(codes.length);
    const others = currencies().filter(
      (c) => c.kind === 'crypto' && c.code !== 'BTC' && c.code !== 'ETH',
    );
    expect(others.length).to.be.at.least(15);
    for (const c of currencies()) {
      expect(c.code).to.match(/^[A-Z]{3,5}$/);
      expect(Number.isInteger(c.scale) && c.scale >= 0 && c.scale <= 18, c.code).to.equal(true);
    }
  });

  it('rejects unknown codes with unknown_currency, hinting at case', () => {
    for (const code of ['XXX', '', 'constructor', '__proto__', 'toString']) {
      expect(isCurrency(code), code).to.equal(false);
      expect(() => currency(code), code)
        .to.throw(DomainError)
        .with.property('code', 'unknown_currency');
    }
    try {
      currency('btc');
      expect.fail('lower case accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(DomainError);
      expect((error as DomainError).kind).to.equal('validation');
      expect((error as DomainError).message).to.contain('BTC');
    }
  });

  it('hands out frozen currencies', () => {
    expect(Object.isFrozen(currency('ETH'))).to.equal(true);
    expect(isCurrency('ETH')).to.equal(true);
  });
});
