import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createFileOutboxMailer } from '../../../infra/mail/file-outbox-mailer.ts';
import type { Mail } from '../../../ports/mailer.ts';
import { parseEml } from './parse-eml.ts';

const logger = pino({ level: 'silent' });
const FROM = 'Cambio <no-reply@cambio.example>';

const mail = (overrides: Partial<Mail> = {}): Mail => ({
  id: '0b6f1c1e-4d1a-4c53-9a55-0d8a3f4c2e11',
  to: 'ana@example.com',
  subject: 'Your verification code',
  text: 'Your code is 123456. It expires in 10 minutes.',
  html: '<p>Your code is <b>123456</b>. It expires in 10 minutes.</p>',
  ...overrides,
});

describe('file outbox mailer', () => {
  let directory: string;

  beforeEach(() => {
    directory = join(mkdtempSync(join(tmpdir(), 'cambio-outbox-')), 'outbox');
  });

  afterEach(() => {
    rmSync(join(directory, '..'), { recursive: true, force: true });
  });

  it('writes an RFC 5322 .eml named by the mail id, with text and html parts', async () => {
    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.send(mail());
    await mailer.close();

    expect(readdirSync(directory)).to.deep.equal(['0b6f1c1e-4d1a-4c53-9a55-0d8a3f4c2e11.eml']);
    const raw = readFileSync(join(directory, '0b6f1c1e-4d1a-4c53-9a55-0d8a3f4c2e11.eml'), 'utf8');
    expect(raw).to.match(/\r\n\r\n/);
    const parsed = parseEml(raw);
    expect(parsed.headers.get('from')).to.equal('Cambio <no-reply@cambio.example>');
    expect(parsed.headers.get('to')).to.equal('ana@example.com');
    expect(parsed.headers.get('subject')).to.equal('Your verification code');
    expect(parsed.headers.get('message-id')).to.equal(
      '<0b6f1c1e-4d1a-4c53-9a55-0d8a3f4c2e11@cambio.example>',
    );
    expect(parsed.headers.get('x-cambio-mail-id')).to.equal('0b6f1c1e-4d1a-4c53-9a55-0d8a3f4c2e11');
    expect(parsed.headers.get('mime-version')).to.equal('1.0');
    expect(Number.isNaN(Date.parse(parsed.headers.get('date') ?? ''))).to.equal(false);
    expect(parsed.headers.get('content-type')).to.match(/^multipart\/alternative/);
    expect(parsed.parts.map((p) => [p.contentType, p.body])).to.deep.equal([
      ['text/plain', 'Your code is 123456. It expires in 10 minutes.'],
      ['text/html', '<p>Your code is <b>123456</b>. It expires in 10 minutes.</p>'],
    ]);
  });

  it('keeps non-ASCII text intact and never lets a subject inject headers', async () => {
    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.send(
      mail({
        id: 'm-2',
        to: 'josé@example.com',
        subject: 'Código de verificación ✓\r\nBcc: attacker@example.com',
        text: 'Olá, João — seu código: 654321 €',
        html: '<p>Olá, João — seu código: <b>654321</b> €</p>',
      }),
    );
    const parsed = parseEml(readFileSync(join(directory, 'm-2.eml'), 'utf8'));
    expect(parsed.headerNames).not.to.include('bcc');
    expect(parsed.headers.get('subject')).to.match(/^Código de verificación ✓/);
    expect(parsed.parts[0]?.body).to.equal('Olá, João — seu código: 654321 €');
    expect(parsed.parts[1]?.body).to.equal('<p>Olá, João — seu código: <b>654321</b> €</p>');
  });

  it('does nothing on a second send with the same id, also when sent concurrently', async () => {
    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.send(mail({ id: 'once', subject: 'first' }));
    const first = readFileSync(join(directory, 'once.eml'), 'utf8');
    await mailer.send(mail({ id: 'once', subject: 'second' }));
    expect(readFileSync(join(directory, 'once.eml'), 'utf8')).to.equal(first);

    await Promise.all(
      Array.from({ length: 8 }, (_, i) => mailer.send(mail({ id: 'race', subject: `try ${i}` }))),
    );
    expect(readdirSync(directory).sort()).to.deep.equal(['once.eml', 'race.eml']);
    expect(
      parseEml(readFileSync(join(directory, 'race.eml'), 'utf8')).headers.get('subject'),
    ).to.match(/^try \d$/);
    await mailer.close();
  });

  it('names files safely whatever the id is, and the same id maps to the same file', async () => {
    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.send(mail({ id: '../../etc/passwd' }));
    await mailer.send(mail({ id: '../../etc/passwd' }));
    const files = readdirSync(directory);
    expect(files).to.have.length(1);
    expect(files[0]).to.match(/^sha256-[0-9a-f]{64}\.eml$/);
    await mailer.close();
  });

  it('clears temp files left by a crashed writer, and leaves no temp file behind itself', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(directory, { recursive: true });
    const stale = join(directory, '.tmp-crashed');
    writeFileSync(stale, 'From: half a mail');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(stale, old, old);
    const fresh = join(directory, '.tmp-someone-writing-now');
    writeFileSync(fresh, 'From: in progress');

    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.send(mail({ id: 'after-crash' }));
    expect(readdirSync(directory).sort()).to.deep.equal([
      '.tmp-someone-writing-now',
      'after-crash.eml',
    ]);
    await mailer.close();
  });

  it('refuses to send after close', async () => {
    const mailer = createFileOutboxMailer({ directory, from: FROM, logger });
    await mailer.close();
    let refused = false;
    await mailer.send(mail()).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });
});
