import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { PersonalDataKeys } from '../../../ports/personal-data-keys.ts';

/** What every key store must do; each adapter's test file calls it with a factory. */
export const personalDataKeysContract = (
  label: string,
  open: () => Promise<{ keys: PersonalDataKeys; cleanup(): Promise<void> }>,
): void => {
  describe(`PersonalDataKeys contract: ${label}`, () => {
    let keys: PersonalDataKeys;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ keys, cleanup } = await open());
    });
    afterEach(() => cleanup());

    it('creates a 32-byte key on first use and gives the same one after', async () => {
      const subject = randomUUID();
      const first = await keys.keyFor(subject);
      expect(first.key).to.have.length(32);
      const again = await keys.keyFor(subject);
      expect(again.keyId).to.equal(first.keyId);
      expect(again.key.equals(first.key)).to.equal(true);
      expect((await keys.find(first.keyId))?.equals(first.key)).to.equal(true);
      expect((await keys.keyFor(randomUUID())).keyId).to.not.equal(first.keyId);
    });

    it('agrees on one key when callers race to create it', async () => {
      const subject = randomUUID();
      const created = await Promise.all(Array.from({ length: 8 }, () => keys.keyFor(subject)));
      expect(new Set(created.map((key) => key.keyId)).size).to.equal(1);
    });

    it('destroys a key for good; the next use gets a new one', async () => {
      const subject = randomUUID();
      const first = await keys.keyFor(subject);
      expect(await keys.destroy(subject)).to.deep.equal([first.keyId]);
      expect(await keys.find(first.keyId)).to.equal(null);
      expect(await keys.destroy(subject)).to.deep.equal([]);
      const next = await keys.keyFor(subject);
      expect(next.keyId).to.not.equal(first.keyId);
      expect(await keys.find(first.keyId)).to.equal(null);
    });

    it('answers ping', async () => {
      await keys.ping();
    });
  });
};
