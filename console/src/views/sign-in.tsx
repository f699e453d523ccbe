import { useState } from 'preact/hooks';
import { request } from '../api/http.ts';
import { ApiProblem } from '../api/problem.ts';
import type { Session } from '../api/session.ts';
import { Field } from '../components/field.tsx';
import { ProblemNotice } from '../components/notice.tsx';

type Mode = 'login' | 'register' | 'verify';

interface Registration {
  name: string;
  lastName: string;
  mail: string;
  password: string;
}

const asProblem = (error: unknown): ApiProblem | null =>
  error instanceof ApiProblem ? error : null;

/** Sign in, or create an account: the details, then the 6-digit code from the mail. */
export const SignIn = ({ session, notice }: { session: Session; notice?: string | undefined }) => {
  const [mode, setMode] = useState<Mode>('login');
  const [form, setForm] = useState<Registration>({
    name: '',
    lastName: '',
    mail: '',
    password: '',
  });
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);

  const set = (key: keyof Registration) => (event: Event) =>
    setForm({ ...form, [key]: (event.currentTarget as HTMLInputElement).value });

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const login = (event: Event) => {
    event.preventDefault();
    void run(() => session.login(form.mail, form.password));
  };
  const requestCode = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const answer = await request<{ mail?: string }>('/api/user/register', { body: form });
      setSentTo(answer.mail ?? form.mail);
      setMode('verify');
    });
  };
  const verify = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      await request('/api/user/register', { body: { ...form, verification: code } });
      await session.login(form.mail, form.password);
    });
  };
  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
  };

  const problem = asProblem(error);
  const input =
    (key: keyof Registration, type: 'text' | 'email' | 'password', autocomplete: string) =>
    (describedBy: string | undefined, invalid: boolean) => (
      <input
        id={`signin-${key}`}
        name={key}
        // Preact's input types are a union per type; all three accept these same attributes.
        type={type as 'text'}
        autocomplete={autocomplete}
        required
        value={form[key]}
        onInput={set(key)}
        aria-describedby={describedBy}
        aria-invalid={invalid}
      />
    );

  return (
    <main class="signin" id="main">
      <h1>Cambio</h1>
      <p class="lead">Buy, sell and hold crypto with exact money and live prices.</p>
      {notice ? (
        <div class="notice" role="status">
          {notice}
        </div>
      ) : null}
      <div class="tabs" role="group" aria-label="Account">
        <button type="button" aria-pressed={mode === 'login'} onClick={() => switchTo('login')}>
          Sign in
        </button>
        <button type="button" aria-pressed={mode !== 'login'} onClick={() => switchTo('register')}>
          Create account
        </button>
      </div>
      <ProblemNotice error={error} />
      {mode === 'login' ? (
        <form class="card" onSubmit={login} aria-label="Sign in">
          <Field id="signin-mail" label="E-mail" name="mail" problem={problem}>
            {input('mail', 'email', 'username')}
          </Field>
          <Field id="signin-password" label="Password" name="password" problem={problem}>
            {input('password', 'password', 'current-password')}
          </Field>
          <button class="primary" type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      ) : mode === 'register' ? (
        <form class="card" onSubmit={requestCode} aria-label="Create account">
          <Field id="signin-name" label="First name" name="name" problem={problem}>
            {input('name', 'text', 'given-name')}
          </Field>
          <Field id="signin-lastName" label="Last name" name="lastName" problem={problem}>
            {input('lastName', 'text', 'family-name')}
          </Field>
          <Field id="signin-mail" label="E-mail" name="mail" problem={problem}>
            {input('mail', 'email', 'username')}
          </Field>
          <Field
            id="signin-password"
            label="Password"
            name="password"
            problem={problem}
            hint="At least 8 characters."
          >
            {input('password', 'password', 'new-password')}
          </Field>
          <button class="primary" type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send me a code'}
          </button>
        </form>
      ) : (
        <form class="card" onSubmit={verify} aria-label="Confirm your e-mail">
          <p role="status">
            We mailed a 6-digit code to <strong>{sentTo}</strong>. It is valid for 10 minutes.
          </p>
          <Field id="signin-code" label="Verification code" name="verification" problem={problem}>
            {(describedBy, invalid) => (
              <input
                id="signin-code"
                name="verification"
                inputMode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required
                value={code}
                onInput={(event) => setCode(event.currentTarget.value.trim())}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              />
            )}
          </Field>
          <button class="primary" type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create my account'}
          </button>
          <button type="button" class="link" onClick={() => switchTo('register')}>
            Change my details or send a new code
          </button>
        </form>
      )}
    </main>
  );
};
