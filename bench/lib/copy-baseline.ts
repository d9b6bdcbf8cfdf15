import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/** The text-format COPY rows of a query, collected in memory. */
export async function copyOut(url: string, query: string): Promise<Buffer> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const chunks: Buffer[] = [];
    await pipeline(client.query(copyTo(`COPY (${query}) TO STDOUT`)), new Writable({ write(chunk: Buffer, _e, cb) { chunks.push(chunk); cb(); } }));
    return Buffer.concat(chunks);
  } finally {
    await client.end();
  }
}

/** Splits COPY text into `parts` pieces on line boundaries. */
export function splitLines(data: Buffer, parts: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let p = 1; p <= parts; p++) {
    let end = p === parts ? data.length : Math.floor((data.length * p) / parts);
    if (end < data.length) end = data.indexOf(10, end) + 1 || data.length;
    out.push(data.subarray(start, end));
    start = end;
  }
  return out;
}

/** COPY `data` into `table (columns)` over one connection, in 1 MiB writes; text format unless `binary`. */
export async function copyIn(client: pg.ClientBase, table: string, columns: readonly string[], data: Buffer, binary = false): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN${binary ? ' (FORMAT binary)' : ''}`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  for (let offset = 0; offset < data.length; offset += 1 << 20) {
    if (!stream.write(data.subarray(offset, offset + (1 << 20)))) await new Promise((r) => stream.once('drain', r));
  }
  stream.end();
  await done;
}
