// Preload for profiling a spawned process: NODE_OPTIONS="--import /abs/path/bench/lib/cpu-profile.mjs"
// with CPU_PROFILE_DIR set. (--cpu-prof itself is not allowed in NODE_OPTIONS on Node 20.)
// Writes <dir>/<pid>.cpuprofile when the process exits; open it in Chrome DevTools or speedscope.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.CPU_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => {
  // In-thread inspector sessions answer synchronously, so this completes before the process ends.
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
