/**
 * A wallet's version is the number of events in its stream (its last revision + 1; 0 for a
 * wallet never touched). Its entity tag, `"<version>"`, is strong: one version is one exact
 * state, whichever replica or read model serves it. Reads send it as ETag; commands take it
 * back in If-Match and are refused when the wallet moved on since.
 */

/** The strong entity tag of the wallet whose newest event has `revision` (-1n: none). */
export const walletEtag = (revision: bigint): string => `"${revision + 1n}"`;

const ETAG = /^"(\d{1,19})"$/;

/**
 * The stream revision a wallet entity tag names, or null when `tag` is not one (a weak tag,
 * another resource's tag): such a tag matches no wallet state.
 */
export const revisionOfWalletEtag = (tag: string): bigint | null => {
  const match = ETAG.exec(tag.trim());
  return match?.[1] === undefined ? null : BigInt(match[1]) - 1n;
};
