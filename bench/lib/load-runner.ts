// A load generator in its own process: autocannon with the options in argv[2] (a JSON file), body
// templates rotated over recording ids. Prints autocannon's result as one JSON line.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  connections: number;
  duration: number;
  overallRate?: number;
  /** Bodies to rotate through; `__RECORDING__` is replaced by the next id of `recordings`. */
  bodies?: string[];
  recordings?: string[];
  headers?: Record<string, string>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
let next = 0;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.duration,
  timeout: 30,
  ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
  requests: [
    {
      method: spec.method,
      path: spec.path,
      headers: spec.headers ?? { 'content-type': 'application/json' },
      setupRequest: (req) => {
        if (!spec.bodies) return req;
        const k = next++;
        const body = spec.bodies[k % spec.bodies.length]!;
        return { ...req, body: spec.recordings ? body.replace('__RECORDING__', spec.recordings[k % spec.recordings.length]!) : body };
      },
    },
  ],
});
process.stdout.write(JSON.stringify(result) + '\n');
