/**
 * The key store of crypto-shredding: one key per person (subject), kept outside the event
 * store, so that destroying it makes that person's encrypted event fields unreadable for good
 * while the events (and their hash chain) stay as they are. Every adapter passes
 * test/contract/personal-data-keys.
 */
export interface SubjectKey {
  /** Written beside each ciphertext, so a reader finds the key without knowing the subject. */
  keyId: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export interface PersonalDataKeys {
  /**
   * The subject's key, created on first use; concurrent callers get the same one. After
   * `destroy`, the next call creates a new key (with a new id): older ciphertext stays lost.
   */
  keyFor(subject: string): Promise<SubjectKey>;
  /** The key with this id; null once it was destroyed (or never existed). */
  find(keyId: string): Promise<Buffer | null>;
  /** Destroys every key of the subject; resolves to the ids destroyed (empty if none). */
  destroy(subject: string): Promise<string[]>;
  /** Rejects when the store cannot be reached: feeds /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
