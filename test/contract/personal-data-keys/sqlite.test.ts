import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlitePersonalDataKeys } from '../../../infra/personal-data-keys/sqlite-personal-data-keys.ts';
import { personalDataKeysContract } from './personal-data-keys.contract.ts';

personalDataKeysContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cambio-keys-'));
  const keys = new SqlitePersonalDataKeys({ file: join(dir, 'keys.sqlite') });
  return {
    keys,
    async cleanup() {
      await keys.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
