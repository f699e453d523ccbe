import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { settingsTable } from '../../../infra/config/settings-table.ts';

describe('README configuration table', () => {
  it('is the table generated from the settings (npm run config:table)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).to.include(settingsTable());
  });
});
