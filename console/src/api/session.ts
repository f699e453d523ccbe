import { request, type RequestOptions } from './http.ts';
import { ApiProblem } from './problem.ts';

/**
 * The signed-in session. The access token lives in memory only; the refresh token, which works
 * once and is rotated on every use, is kept in this tab's sessionStorage so a reload stays
 * signed in and closing the tab forgets it. The access token is refreshed before it expires,
 * one refresh at a time (presenting a used refresh token ends the whole session).
 */

export type Role = 'user' | 'auditor' | 'admin';

export interface Profile {
  userId: string;
  mail: string;
  name: string;
  lastName: string;
  roles: Role[];
}

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'signed-in'; profile: Profile };

interface TokenResponse {
  token: string;
  expiresIn: number;
  refreshToken: string;
  userId: string;
}

const REFRESH_KEY = 'cambio.refreshToken';
/** Refresh when this share of the access token's life has passed. */
const REFRESH_AT = 0.75;
const ENDED = 'Your session ended; please sign in again.';

const rolesInToken = (token: string): Role[] => {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    const roles = (JSON.parse(json) as { roles?: unknown }).roles;
    return Array.isArray(roles) ? roles.filter((r): r is Role => typeof r === 'string') : [];
  } catch {
    return [];
  }
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Session {
  state(): SessionState;
  onChange(listener: () => void): () => void;
  /** Called with each new access token (the live connection re-authenticates with it). */
  onToken(listener: (token: string | null) => void): () => void;
  token(): string | null;
  restore(): Promise<void>;
  login(mail: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** An authorised call; a 401 refreshes the token once and retries. */
  call<T>(path: string, options?: RequestOptions): Promise<T>;
}

export const createSession = (storage: Storage = sessionStorage): Session => {
  let state: SessionState = { status: 'restoring' };
  let accessToken: string | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let refreshing: Promise<void> | null = null;
  const listeners = new Set<() => void>();
  const tokenListeners = new Set<(token: string | null) => void>();

  const setState = (next: SessionState) => {
    state = next;
    for (const listener of listeners) listener();
  };
  const setToken = (token: string | null) => {
    accessToken = token;
    for (const listener of tokenListeners) listener(token);
  };

  const signOut = (notice?: string) => {
    clearTimeout(refreshTimer);
    storage.removeItem(REFRESH_KEY);
    setToken(null);
    setState(notice === undefined ? { status: 'signed-out' } : { status: 'signed-out', notice });
  };

  const accept = (tokens: TokenResponse) => {
    storage.setItem(REFRESH_KEY, tokens.refreshToken);
    setToken(tokens.token);
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(
      () => void refresh().catch(() => undefined),
      Math.max(1_000, tokens.expiresIn * 1_000 * REFRESH_AT),
    );
  };

  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      const refreshToken = storage.getItem(REFRESH_KEY);
      if (refreshToken === null) throw new ApiProblem(401, 'unauthorized', ENDED);
      try {
        accept(await request<TokenResponse>('/api/user/refresh', { body: { refreshToken } }));
      } catch (error) {
        // A refusal ends the session; a network failure keeps it for the next attempt.
        if (error instanceof ApiProblem && error.status !== 0 && error.status < 500) {
          signOut(ENDED);
        } else {
          refreshTimer = setTimeout(() => void refresh().catch(() => undefined), 5_000);
        }
        throw error;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  };

  const call = async <T>(path: string, options: RequestOptions = {}): Promise<T> => {
    if (refreshing) await refreshing.catch(() => undefined);
    try {
      return await request<T>(path, { ...options, token: accessToken });
    } catch (error) {
      if (!(error instanceof ApiProblem) || error.status !== 401 || state.status !== 'signed-in') {
        throw error;
      }
      await refresh();
      return request<T>(path, { ...options, token: accessToken });
    }
  };

  /** The profile, waiting briefly for the projections to include a brand-new account. */
  const loadProfile = async (): Promise<Profile> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const me = await request<Omit<Profile, 'roles'> & { roles?: Role[] }>('/api/user/me', {
          token: accessToken,
        });
        return { ...me, roles: me.roles ?? rolesInToken(accessToken ?? '') };
      } catch (error) {
        if (!(error instanceof ApiProblem) || error.status !== 404 || attempt >= 10) throw error;
        await delay(200);
      }
    }
  };

  return {
    state: () => state,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onToken: (listener) => {
      tokenListeners.add(listener);
      return () => tokenListeners.delete(listener);
    },
    token: () => accessToken,
    restore: async () => {
      if (storage.getItem(REFRESH_KEY) === null) return setState({ status: 'signed-out' });
      try {
        await refresh();
        setState({ status: 'signed-in', profile: await loadProfile() });
      } catch {
        if (state.status === 'restoring') signOut();
      }
    },
    login: async (mail, password) => {
      accept(await request<TokenResponse>('/api/user/login', { body: { mail, password } }));
      setState({ status: 'signed-in', profile: await loadProfile() });
    },
    logout: async () => {
      try {
        if (accessToken) await request('/api/user/logout', { method: 'POST', token: accessToken });
      } catch {
        // Signing out here must always work; the refresh token is forgotten either way.
      }
      signOut();
    },
    call,
  };
};
