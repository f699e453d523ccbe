import type { RegisterDeps } from '../commands/user/register.ts';
import { register } from '../commands/user/register.ts';
import { login } from '../commands/session/login.ts';
import { endSession, refreshSession } from '../commands/session/refresh-session.ts';
import type { SessionDeps } from '../commands/session/session-deps.ts';
import { principalOf } from '../infra/http/authenticate.ts';
import { problemResponses as problems, type RouteSpec } from '../infra/http/route-spec.ts';
import { perMinuteLimit } from '../infra/http/rate-limit.ts';
import { commandContext } from './command-context.ts';
import {
  loginBody,
  refreshBody,
  registerBody,
  registerResponse,
  tokenResponse,
} from './schemas.ts';

/** Registration, login, token refresh and logout: the seed's user routes plus sessions. */
export const userRoutes = (deps: {
  register: RegisterDeps;
  sessions: SessionDeps;
  /** Requests per minute per client address on register, login and refresh; 0 for none. */
  authRateLimitPerMinute: number;
}): RouteSpec[] => {
  const limited = perMinuteLimit('sign-in', deps.authRateLimitPerMinute);
  return [
    {
      method: 'post',
      path: '/api/user/register',
      operationId: 'register',
      summary:
        'Register: without `verification` a code is mailed; with the right code the account is created',
      tags: ['user'],
      before: limited,
      body: registerBody,
      idempotent: true,
      responses: {
        200: { description: 'Code mailed (`verificationSent`)', schema: registerResponse },
        201: { description: 'Account created (`registered`)', schema: registerResponse },
        ...problems(400, 409, 415, 429),
      },
      handle: async (req, res) => {
        const body = req.body as {
          name: string;
          lastName: string;
          mail: string;
          password: string;
          verification?: string;
        };
        const result = await register(deps.register, body, commandContext(req));
        const { position, ...rest } = result;
        res.status('registered' in result ? 201 : 200).json({
          status: true,
          ...rest,
          position: String(position),
          message:
            'registered' in result
              ? 'Account created; log in with your mail and password.'
              : `A verification code was sent to ${result.mail}.`,
        });
      },
    },
    {
      method: 'post',
      path: '/api/user/login',
      operationId: 'login',
      summary: 'Log in: a short-lived access token and a single-use refresh token',
      tags: ['user'],
      before: limited,
      body: loginBody,
      responses: {
        200: { description: 'Signed in', schema: tokenResponse },
        ...problems(400, 401, 429),
      },
      handle: async (req, res) => {
        const body = req.body as { mail: string; password: string };
        res.json({
          status: true,
          ...(await login(deps.sessions, body, commandContext(req))),
          message: 'Logged in.',
        });
      },
    },
    {
      method: 'post',
      path: '/api/user/refresh',
      operationId: 'refresh',
      summary: 'Rotate a refresh token; presenting a used one revokes its whole session',
      tags: ['user'],
      before: limited,
      body: refreshBody,
      responses: {
        200: { description: 'New token pair', schema: tokenResponse },
        ...problems(400, 401),
      },
      handle: async (req, res) => {
        const { refreshToken } = req.body as { refreshToken: string };
        res.json({
          status: true,
          ...(await refreshSession(deps.sessions, refreshToken, commandContext(req))),
        });
      },
    },
    {
      method: 'post',
      path: '/api/user/logout',
      operationId: 'logout',
      summary: 'End the current session: its refresh token stops working at once',
      tags: ['user'],
      auth: true,
      responses: { 204: { description: 'Logged out' }, ...problems(401) },
      handle: async (req, res) => {
        await endSession(deps.sessions, principalOf(req).sessionId, commandContext(req));
        res.status(204).end();
      },
    },
  ];
};
