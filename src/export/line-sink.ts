import type { Response } from 'express';

/**
 * Writes text to a response and waits whenever the socket's buffer is full, so a slow client slows
 * the export down instead of letting pages pile up in memory. `closed` turns true when the client
 * goes away; exporters check it before each page query, so a disconnect stops the reading.
 */
export class LineSink {
  private gone = false;

  constructor(private readonly res: Response) {
    res.once('close', () => {
      this.gone = true;
    });
  }

  get closed(): boolean {
    return this.gone || this.res.destroyed;
  }

  async write(text: string): Promise<void> {
    if (this.closed || text.length === 0) return;
    if (this.res.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}
