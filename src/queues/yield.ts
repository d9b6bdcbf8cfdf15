/** Lets the event loop run (job lock renewals, other requests) between batches of CPU work. */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
