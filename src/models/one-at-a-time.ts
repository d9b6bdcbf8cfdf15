/** Runs steps one after another, in call order; a step that fails does not stop the ones after it. */
export class OneAtATime {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const run = this.last.then(step);
    this.last = run.catch(() => undefined);
    return run;
  }
}
