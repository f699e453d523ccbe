/**
 * Progress of a long CLI run on stderr (stdout stays for results, e.g. an export): a bar
 * redrawn in place on a terminal, plain lines every few seconds otherwise (CI logs, pipes).
 */
export interface Progress {
  /** `done` of `total` (any unit: events, positions); `detail` is shown after the figures. */
  update(done: bigint, total: bigint, detail?: string): void;
  /** Clears the bar (a terminal) and prints the final line. */
  finish(line?: string): void;
}

const BAR_WIDTH = 30;
const LINE_EVERY_MS = 2000;
const REDRAW_EVERY_MS = 100;

const percentOf = (done: bigint, total: bigint): number =>
  total <= 0n ? 100 : Number(((done >= total ? total : done) * 1000n) / total) / 10;

export const createProgress = (
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress => {
  const tty = stream.isTTY === true;
  let lastDrawn = 0;
  let drawn = false;
  return {
    update(done, total, detail = '') {
      const now = Date.now();
      const complete = done >= total;
      if (now - lastDrawn < (tty ? REDRAW_EVERY_MS : LINE_EVERY_MS) && !complete) return;
      if (!tty && complete && drawn && now - lastDrawn < LINE_EVERY_MS) return;
      lastDrawn = now;
      const percent = percentOf(done, total);
      if (tty) {
        const filled = Math.round((percent / 100) * BAR_WIDTH);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
        stream.write(`\r\u001b[2K${label} ${bar} ${percent.toFixed(1)}% ${detail}`);
      } else {
        stream.write(`${label}: ${percent.toFixed(1)}% ${detail}\n`);
      }
      drawn = true;
    },
    finish(line) {
      if (tty && drawn) stream.write('\r\u001b[2K');
      if (line !== undefined) stream.write(`${line}\n`);
    },
  };
};
