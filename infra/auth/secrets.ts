import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Keys derived from the one server secret, each for one purpose (HKDF-SHA256). */
export interface Keys {
  /** Signs and verifies access tokens (HS256). */
  accessToken: Buffer;
  /** Derives and hashes e-mail verification codes. */
  verificationCode: Buffer;
}

const derive = (secret: string, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, 'cambio', purpose, 32));

/**
 * The configured secret, or, when none is configured, the one kept in the data directory
 * (created on first start, readable by the owner only).
 */
export const loadKeys = (configuredSecret: string, dataDir: string): Keys => {
  let secret = configuredSecret;
  if (secret === '') {
    const file = join(dataDir, 'secret.key');
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    secret = readFileSync(file, 'utf8').trim();
  }
  return {
    accessToken: derive(secret, 'access-token'),
    verificationCode: derive(secret, 'verification-code'),
  };
};
