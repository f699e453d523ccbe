import compression from 'compression';
import type { Request, RequestHandler, Response } from 'express';

/**
 * Compresses answers of at least `thresholdBytes` with br or gzip, whichever the client
 * prefers. Two kinds are left alone: answers with a strong ETag (a strong validator names one
 * exact byte sequence, and the encoded one is another; they are small wallet reads anyway),
 * and websockets, which never pass through here (the upgrade bypasses express) and send
 * their frames uncompressed (permessage-deflate is off), so nothing is compressed twice.
 */
export const compressResponses = (thresholdBytes: number): RequestHandler =>
  compression({
    threshold: thresholdBytes,
    filter: (req: Request, res: Response) => {
      const etag = res.getHeader('ETag');
      if (typeof etag === 'string' && etag.startsWith('"')) return false;
      return compression.filter(req, res);
    },
  });
