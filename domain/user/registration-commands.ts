/**
 * What the register endpoint asks of a registration stream. The handler computes everything
 * impure (clock, code and password hashes, the new user id) before deciding.
 */

/** Registering without `verification`: mail a fresh code. */
export type RequestCode = {
  type: 'RequestCode';
  mail: string;
  /** Hash of the freshly generated code that will be mailed. */
  codeHash: string;
  /**
   * Random nonce the code is derived from with the server key; recorded so the mail can be
   * (re)sent from the event alone, while the code itself is never stored.
   */
  codeNonce: string;
  /** ISO-8601 instant read by the handler. */
  now: string;
};

/** Registering with `verification`: check the typed code and, if right, create the account. */
export type Verify = {
  type: 'Verify';
  mail: string;
  /** Hash of the code the user typed, made the same way as the issued one. */
  codeHash: string;
  now: string;
  /** Id the account gets if the code is right. */
  userId: string;
  name: string;
  lastName: string;
  passwordHash: string;
};

export type RegistrationCommand = RequestCode | Verify;
