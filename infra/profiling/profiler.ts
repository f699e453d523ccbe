import { Session } from 'node:inspector/promises';
import type { Readable } from 'node:stream';
import { getHeapSnapshot } from 'node:v8';

/** A V8 CPU profile: the `.cpuprofile` format Chrome DevTools and VS Code open. */
export type CpuProfile = Record<string, unknown>;

/**
 * Samples this process's CPU for `seconds` through the inspector protocol, in-process: no
 * debugger port is opened. The process keeps serving while it samples.
 */
export const takeCpuProfile = async (seconds: number): Promise<CpuProfile> => {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const { profile } = await session.post('Profiler.stop');
    return profile as unknown as CpuProfile;
  } finally {
    session.disconnect();
  }
};

/**
 * A heap snapshot (`.heapsnapshot`) as a stream. Taking it pauses the process (about a second
 * per 100 MB of heap) and briefly needs as much memory again.
 */
export const takeHeapSnapshot = (): Readable => getHeapSnapshot();
