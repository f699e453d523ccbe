/**
 * Just enough of RFC 5322 / MIME to check what the mailers produce: unfolded headers,
 * RFC 2047 encoded words, one level of multipart, quoted-printable and base64 bodies.
 */

export interface ParsedPart {
  headers: Map<string, string>;
  contentType: string;
  body: string;
}

export interface ParsedMail {
  headers: Map<string, string>;
  /** Every header name as it appears, lower-cased, in order (to spot duplicates). */
  headerNames: string[];
  parts: ParsedPart[];
}

function splitHead(raw: string): { head: string; body: string } {
  const index = raw.indexOf('\r\n\r\n');
  if (index < 0) return { head: raw, body: '' };
  return { head: raw.slice(0, index), body: raw.slice(index + 4) };
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function parseHeaders(head: string): { headers: Map<string, string>; names: string[] } {
  const headers = new Map<string, string>();
  const names: string[] = [];
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    names.push(name);
    headers.set(name, decodeWords(line.slice(colon + 1).trim()));
  }
  return { headers, names };
}

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

const mediaType = (contentType: string | undefined) =>
  (contentType ?? 'text/plain').split(';')[0]?.trim().toLowerCase() ?? 'text/plain';

export function parseEml(raw: string): ParsedMail {
  const { head, body } = splitHead(raw);
  const { headers, names } = parseHeaders(head);
  const contentType = headers.get('content-type');
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!boundary) {
    return {
      headers,
      headerNames: names,
      parts: [
        {
          headers,
          contentType: mediaType(contentType),
          body: decodeBody(body, headers.get('content-transfer-encoding')),
        },
      ],
    };
  }
  const parts = body
    .split(`--${boundary}`)
    .slice(1)
    .filter((chunk) => !chunk.startsWith('--'))
    .map((chunk) => {
      const part = splitHead(chunk.replace(/^\r\n/, ''));
      const partHeaders = parseHeaders(part.head).headers;
      return {
        headers: partHeaders,
        contentType: mediaType(partHeaders.get('content-type')),
        body: decodeBody(
          part.body.replace(/\r\n$/, ''),
          partHeaders.get('content-transfer-encoding'),
        ),
      };
    });
  return { headers, headerNames: names, parts };
}
