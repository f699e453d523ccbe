/**
 * Topic subjects as NATS spells them: dot-separated non-empty tokens. A pattern may use `*`
 * for exactly one token and a final `>` for one or more tokens, so the in-process bus and
 * NATS agree on what a subscription matches.
 */

const TOKEN = /^[^\s.*>]+$/;

export function assertSubject(subject: string): void {
  if (!subject.split('.').every((token) => TOKEN.test(token))) {
    throw new Error(`invalid subject "${subject}": dot-separated tokens, no spaces or wildcards`);
  }
}

export function assertSubjectPattern(pattern: string): void {
  const tokens = pattern.split('.');
  const valid = tokens.every(
    (token, index) =>
      TOKEN.test(token) || token === '*' || (token === '>' && index === tokens.length - 1),
  );
  if (!valid) {
    throw new Error(`invalid subject pattern "${pattern}": use tokens, "*" and a final ">"`);
  }
}

export const isWildcardPattern = (pattern: string): boolean =>
  pattern.split('.').some((token) => token === '*' || token === '>');

export function subjectMatches(pattern: string, subject: string): boolean {
  const wanted = pattern.split('.');
  const actual = subject.split('.');
  for (let i = 0; i < wanted.length; i++) {
    const token = wanted[i];
    if (token === '>') return actual.length > i;
    if (i >= actual.length) return false;
    if (token !== '*' && token !== actual[i]) return false;
  }
  return wanted.length === actual.length;
}
