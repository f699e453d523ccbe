import { writeRawProblem } from '../../infra/http/raw-problem.ts';

/**
 * Refuses a websocket upgrade with a plain HTTP answer (a problem+json body, like every other
 * error of the API) and closes the connection. Used before the handshake is accepted, when
 * the socket is still speaking HTTP.
 */
export const rejectUpgrade = writeRawProblem;
