import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Logger } from 'pino';
import type { Mail, Mailer } from '../../ports/mailer.ts';
import { MAIL_ID_HEADER, mailIdToken, messageIdFor } from './mail-id.ts';

/**
 * The embedded mail transport: each mail becomes `<id>.eml` (RFC 5322) in an outbox folder
 * that a person or a pickup agent reads. A mail is written to a temp file, synced, then
 * hard-linked to its final name: linking never overwrites, so a second send with the same id
 * leaves the first file alone, and a crash leaves a temp file but never half an `.eml`.
 */

export interface FileOutboxMailerOptions {
  directory: string;
  from: string;
  logger: Logger;
}

const TEMP_PREFIX = '.tmp-';
/** Temp files this old belong to a writer that crashed; younger ones may still be in use. */
const STALE_TEMP_MS = 60_000;

const isErrno = (error: unknown, code: string): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === code;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false;
    throw error;
  }
}

async function writeSynced(path: string, content: Buffer): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes the new directory entry itself durable, where the platform allows it. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const dir = await open(directory, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some platforms cannot open or sync a directory; the file itself is already synced.
  }
}

async function removeStaleTemps(directory: string, logger: Logger): Promise<void> {
  for (const name of await readdir(directory)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(directory, name);
    try {
      if (Date.now() - (await stat(path)).mtimeMs > STALE_TEMP_MS) {
        await unlink(path);
        logger.warn({ file: path }, 'removed a temp file left by an interrupted write');
      }
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
}

export function buildEml(mail: Mail, from: string): Promise<Buffer> {
  return new MailComposer({
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: messageIdFor(mail.id, from),
    date: new Date(),
    headers: { [MAIL_ID_HEADER]: mail.id },
  })
    .compile()
    .build();
}

export function createFileOutboxMailer(options: FileOutboxMailerOptions): Mailer {
  const { directory, from } = options;
  const logger = options.logger.child({ component: 'file-outbox-mailer' });
  const inFlight = new Set<Promise<void>>();
  let ready: Promise<void> | null = null;
  let closed = false;

  const prepare = (): Promise<void> => {
    ready ??= (async () => {
      await mkdir(directory, { recursive: true });
      await removeStaleTemps(directory, logger);
    })().catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };

  const write = async (mail: Mail): Promise<void> => {
    await prepare();
    const finalPath = join(directory, `${mailIdToken(mail.id)}.eml`);
    if (await exists(finalPath)) {
      logger.debug({ id: mail.id, file: finalPath }, 'mail already in the outbox');
      return;
    }
    const tempPath = join(directory, `${TEMP_PREFIX}${randomUUID()}`);
    try {
      await writeSynced(tempPath, await buildEml(mail, from));
      try {
        await link(tempPath, finalPath);
      } catch (error) {
        // A concurrent send of the same id won the race: its file stands.
        if (!isErrno(error, 'EEXIST')) throw error;
        return;
      }
      await syncDirectory(directory);
      logger.info({ id: mail.id, to: mail.to, file: finalPath }, 'mail written to the outbox');
    } finally {
      await unlink(tempPath).catch(() => {});
    }
  };

  return {
    async send(mail) {
      if (closed) throw new Error('mailer is closed');
      const writing = write(mail);
      inFlight.add(writing);
      try {
        await writing;
      } finally {
        inFlight.delete(writing);
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
