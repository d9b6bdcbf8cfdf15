// vitest globalSetup: says once, at the start of a run, whether the real-data checks run, so their
// skips are never silent. (Each skipped suite's name also says why; see sleep-data.ts.)
import { hasSleepData, SLEEP_DATA_DIR } from './sleep-data.js';

export default function announceSleepData(): void {
  const line = hasSleepData()
    ? `sleep-accel data: ${SLEEP_DATA_DIR}; the real-data checks (test/real-data/) run`
    : `sleep-accel data: ${SLEEP_DATA_DIR} is absent; the real-data checks (test/real-data/) are skipped (set SLEEP_DATA_DIR; see the README's "Data" section)`;
  console.log(`\n${line}\n`);
}
