import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sleepStatistics, transitions, UNSCORED, type SleepStatistics } from '../../src/summary/sleep-statistics.js';

const AASM = ['W', 'N1', 'N2', 'N3', 'REM'];
const WNR = ['W', 'NREM', 'REM'];
const WLDR = ['W', 'LIGHT', 'DEEP', 'REM'];
const WS = ['W', 'SLEEP'];
const LABEL_SETS = [WS, WNR, WLDR, AASM];

/** Stage names → class indices; '?' is unscored. */
const hyp = (labels: readonly string[], stages: readonly string[]) =>
  stages.map((s) => {
    if (s === '?') return UNSCORED;
    const i = labels.indexOf(s);
    if (i < 0) throw new Error(`${s} is not in ${labels.join(',')}`);
    return i;
  });
const stats = (labels: readonly string[], stages: readonly string[], epochSeconds = 30) =>
  sleepStatistics({ labels, classes: hyp(labels, stages), epochSeconds });

/** The check: YASA's documented example night. */
const CHECK = ['W', 'W', 'N1', 'N1', 'N1', 'N2', 'N2', 'N2', 'N3', 'N3', 'N3', 'N2', 'N3', 'N3', 'REM', 'REM', 'REM', 'REM', 'W', 'W'];

describe('the issue check hypnogram (W/N1/N2/N3/REM)', () => {
  const s = stats(AASM, CHECK);

  it('gives TIB 10, SPT 8, WASO 0, TST 8, SOL 1, SE 80, SME 100', () => {
    expect([s.tibMin, s.sptMin, s.wasoMin, s.tstMin, s.solMin, s.sePct, s.smePct]).toEqual([10, 8, 0, 8, 1, 80, 100]);
    expect(s.unscoredMin).toBe(0);
    expect(s.epochs).toBe(20);
  });

  it('gives stage minutes, % of TST and latencies', () => {
    expect(Object.fromEntries(s.stages)).toEqual({
      W: { minutes: 2, pctTst: null, latencyMin: 0 },
      N1: { minutes: 1.5, pctTst: 18.75, latencyMin: 1 },
      N2: { minutes: 2, pctTst: 25, latencyMin: 2.5 },
      N3: { minutes: 2.5, pctTst: 31.25, latencyMin: 4 },
      REM: { minutes: 2, pctTst: 25, latencyMin: 7 },
    });
  });

  it('gives the REM latency from sleep onset, NREM totals, no awakenings and persistent sleep at 1 min', () => {
    expect(s.remLatencyMin).toBe(6);
    expect(s.nrem).toEqual({ minutes: 6, pctTst: 75, latencyMin: 1 });
    // REM → W at the end leaves SPT: it is the final awakening, not one inside the night.
    expect(s.awakenings).toBe(0);
    expect(s.sfiPerHour).toBe(0);
    // 16 uninterrupted sleep epochs from index 2: the first 5-minute run starts at 1 min.
    expect(s.sol5MinMin).toBe(1);
  });

  it('counts transitions of consecutive epochs, row = from', () => {
    expect(s.transitions.labels).toEqual(AASM);
    expect(s.transitions.counts).toEqual([
      [2, 1, 0, 0, 0],
      [0, 2, 1, 0, 0],
      [0, 0, 2, 2, 0],
      [0, 0, 1, 3, 1],
      [1, 0, 0, 0, 3],
    ]);
    expect(s.transitions.probabilities[0]).toEqual([2 / 3, 1 / 3, 0, 0, 0]);
    expect(s.transitions.probabilities[3]).toEqual([0, 0, 0.2, 0.6, 0.2]);
  });

  it('gives the same sleep/wake figures in every coarser label set', () => {
    const coarse: Record<string, Record<string, string>> = {
      WNR: { N1: 'NREM', N2: 'NREM', N3: 'NREM' },
      WLDR: { N1: 'LIGHT', N2: 'LIGHT', N3: 'DEEP' },
      WS: { N1: 'SLEEP', N2: 'SLEEP', N3: 'SLEEP', REM: 'SLEEP' },
    };
    const sets: Record<string, string[]> = { WNR, WLDR, WS };
    for (const [name, map] of Object.entries(coarse)) {
      const c = stats(sets[name]!, CHECK.map((x) => map[x] ?? x));
      expect([c.tibMin, c.sptMin, c.wasoMin, c.tstMin, c.solMin, c.sePct, c.smePct, c.sol5MinMin]).toEqual([10, 8, 0, 8, 1, 80, 100, 1]);
    }
    const wldr = stats(WLDR, CHECK.map((x) => coarse['WLDR']![x] ?? x));
    expect(wldr.stages.get('LIGHT')).toEqual({ minutes: 3.5, pctTst: 43.75, latencyMin: 1 });
    expect(wldr.stages.get('DEEP')).toEqual({ minutes: 2.5, pctTst: 31.25, latencyMin: 4 });
    expect(wldr.nrem).toEqual({ minutes: 6, pctTst: 75, latencyMin: 1 });
    expect(wldr.remLatencyMin).toBe(6);
    const wnr = stats(WNR, CHECK.map((x) => coarse['WNR']![x] ?? x));
    expect(wnr.nrem).toBeNull(); // NREM is a class of its own there
    expect(wnr.stages.get('NREM')).toEqual({ minutes: 6, pctTst: 75, latencyMin: 1 });
    const ws = stats(WS, CHECK.map((x) => coarse['WS']![x] ?? x));
    expect(ws.remLatencyMin).toBeNull();
    expect(ws.nrem).toBeNull();
    expect(ws.stages.get('SLEEP')).toEqual({ minutes: 8, pctTst: 100, latencyMin: 1 });
  });
});

describe('edge cases', () => {
  it('no sleep at all: SPT and TST 0, sleep-dependent fields null', () => {
    const s = stats(WNR, ['W', 'W', '?', 'W']);
    expect(s).toMatchObject({
      tibMin: 2,
      sptMin: 0,
      tstMin: 0,
      wasoMin: 0,
      solMin: null,
      sol5MinMin: null,
      sePct: 0,
      smePct: null,
      remLatencyMin: null,
      awakenings: 0,
      sfiPerHour: null,
      unscoredMin: 0.5,
    });
    expect(s.stages.get('NREM')).toEqual({ minutes: 0, pctTst: null, latencyMin: null });
    expect(s.stages.get('W')).toEqual({ minutes: 1.5, pctTst: null, latencyMin: 0 });
  });

  it('an empty hypnogram is all zero and null', () => {
    const s = stats(WNR, []);
    expect([s.tibMin, s.sptMin, s.tstMin, s.sePct, s.solMin]).toEqual([0, 0, 0, null, null]);
    expect(s.transitions.probabilities).toEqual([
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ]);
  });

  it('unscored epochs inside SPT count in SPT and TIB but neither as sleep nor as wake', () => {
    const s = stats(WNR, ['W', 'NREM', '?', '?', 'W', 'NREM', 'REM', 'W']);
    expect(s.sptMin).toBe(3); // indices 1..6
    expect(s.tstMin).toBe(1.5);
    expect(s.wasoMin).toBe(0.5);
    expect(s.unscoredMin).toBe(1);
    expect(s.smePct).toBe(50);
    // NREM → ? → W is not a transition either way; only the scored pairs count.
    expect(s.awakenings).toBe(0);
    expect(s.transitions.counts).toEqual([
      [0, 2, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });

  it('counts awakenings inside SPT and the fragmentation index per hour of sleep', () => {
    const s = stats(WNR, ['W', 'NREM', 'W', 'NREM', 'NREM', 'W', 'W', 'REM', 'W']);
    expect(s.awakenings).toBe(2);
    expect(s.wasoMin).toBe(1.5);
    expect(s.tstMin).toBe(2);
    expect(s.sfiPerHour).toBe(60);
  });

  it('persistent sleep needs 10 uninterrupted epochs of 30 s (an unscored epoch interrupts)', () => {
    const nine = Array<string>(9).fill('NREM');
    expect(stats(WNR, ['W', ...nine, 'W', ...nine, '?', ...nine]).sol5MinMin).toBeNull();
    expect(stats(WNR, ['W', ...nine, 'W', 'W', ...nine, 'REM']).sol5MinMin).toBe(6);
    // With 60-second epochs five epochs make five minutes.
    expect(stats(WNR, ['W', 'NREM', 'NREM', 'NREM', 'NREM', 'NREM'], 60).sol5MinMin).toBe(1);
  });

  it('rejects a label map without W and class indices out of range', () => {
    expect(() => sleepStatistics({ labels: ['NREM', 'REM'], classes: [0], epochSeconds: 30 })).toThrow(/wake class W/);
    expect(() => sleepStatistics({ labels: WNR, classes: [3], epochSeconds: 30 })).toThrow(/classes\[0\]/);
    expect(() => sleepStatistics({ labels: WNR, classes: [0.5], epochSeconds: 30 })).toThrow(/classes\[0\]/);
    expect(() => sleepStatistics({ labels: WNR, classes: [0], epochSeconds: 0 })).toThrow(/epochSeconds/);
  });
});

// ---- properties ----

const night = fc.constantFrom(...LABEL_SETS).chain((labels) =>
  fc
    .array(fc.oneof({ weight: 1, arbitrary: fc.constant(UNSCORED) }, { weight: 6, arbitrary: fc.integer({ min: 0, max: labels.length - 1 }) }), {
      maxLength: 300,
    })
    .map((classes) => ({ labels, classes })),
);
const compute = ({ labels, classes }: { labels: string[]; classes: number[] }): SleepStatistics =>
  sleepStatistics({ labels, classes, epochSeconds: 30 });
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
const unscoredInsideSpt = (classes: number[], wake: number): number => {
  const sleep = classes.flatMap((c, i) => (c !== UNSCORED && c !== wake ? [i] : []));
  if (sleep.length === 0) return 0;
  return classes.slice(sleep[0], sleep[sleep.length - 1]! + 1).filter((c) => c === UNSCORED).length;
};

describe('properties', () => {
  it('TST + WASO + unscored inside SPT = SPT; SOL + SPT ≤ TIB', () => {
    fc.assert(
      fc.property(night, (n) => {
        const s = compute(n);
        const inside = unscoredInsideSpt(n.classes, 0) * 0.5;
        expect(s.tstMin + s.wasoMin + inside).toBe(s.sptMin);
        expect((s.solMin ?? 0) + s.sptMin).toBeLessThanOrEqual(s.tibMin);
      }),
    );
  });

  it('stage minutes plus unscored minutes make TIB; W minutes + TST = TIB − unscored', () => {
    fc.assert(
      fc.property(night, (n) => {
        const s = compute(n);
        const total = [...s.stages.values()].reduce((a, st) => a + st.minutes, 0);
        expect(total + s.unscoredMin).toBe(s.tibMin);
        expect(s.stages.get('W')!.minutes + s.tstMin).toBe(s.tibMin - s.unscoredMin);
      }),
    );
  });

  it('% of TST sums to 100 over the sleep classes whenever there is sleep', () => {
    fc.assert(
      fc.property(night, (n) => {
        const s = compute(n);
        const pcts = [...s.stages].filter(([l]) => l !== 'W').map(([, st]) => st.pctTst);
        if (s.tstMin === 0) return pcts.every((p) => p === null) && s.sePct === (s.tibMin > 0 ? 0 : null);
        return close(pcts.reduce<number>((a, p) => a + p!, 0), 100) && s.stages.get('W')!.pctTst === null;
      }),
    );
  });

  it('unscored epochs never count as sleep or wake: making an epoch unscored removes exactly it', () => {
    fc.assert(
      fc.property(night, fc.nat(), (n, pick) => {
        fc.pre(n.classes.length > 0);
        const at = pick % n.classes.length;
        const before = compute(n);
        const classes = [...n.classes];
        const was = classes[at]!;
        classes[at] = UNSCORED;
        const after = compute({ labels: n.labels, classes });
        expect(after.tibMin).toBe(before.tibMin);
        const changed = was === UNSCORED ? 0 : 0.5;
        expect(after.unscoredMin).toBe(before.unscoredMin + changed);
        expect(after.tstMin + after.stages.get('W')!.minutes).toBe(before.tstMin + before.stages.get('W')!.minutes - changed);
      }),
    );
  });

  it('inserting unscored epochs between two scored ones keeps stage minutes and TST', () => {
    fc.assert(
      fc.property(night, fc.nat(), fc.integer({ min: 1, max: 20 }), (n, pick, gap) => {
        const at = n.classes.length === 0 ? 0 : pick % n.classes.length;
        const classes = [...n.classes.slice(0, at), ...Array<number>(gap).fill(UNSCORED), ...n.classes.slice(at)];
        const before = compute(n);
        const after = compute({ labels: n.labels, classes });
        expect(after.tstMin).toBe(before.tstMin);
        expect(after.wasoMin).toBe(before.wasoMin);
        expect(after.unscoredMin).toBe(before.unscoredMin + gap * 0.5);
        for (const [label, st] of before.stages) expect(after.stages.get(label)!.minutes).toBe(st.minutes);
      }),
    );
  });

  it('the W/SLEEP view of any night has the same TIB, SPT, TST, WASO, SOL and SE', () => {
    fc.assert(
      fc.property(night, (n) => {
        const ws = n.classes.map((c) => (c === UNSCORED ? UNSCORED : c === 0 ? 0 : 1));
        const a = compute(n);
        const b = compute({ labels: WS, classes: ws });
        const pick = (s: SleepStatistics) => [s.tibMin, s.sptMin, s.tstMin, s.wasoMin, s.solMin, s.sol5MinMin, s.sePct, s.smePct, s.awakenings];
        expect(pick(b)).toEqual(pick(a));
      }),
    );
  });

  it('latencies lie inside the night; the REM latency from onset is the REM latency minus SOL', () => {
    fc.assert(
      fc.property(night, (n) => {
        const s = compute(n);
        for (const st of s.stages.values()) {
          if (st.latencyMin === null) expect(st.minutes).toBe(0);
          else expect(st.latencyMin).toBeLessThan(s.tibMin);
        }
        const rem = s.stages.get('REM');
        if (rem?.latencyMin != null) expect(s.remLatencyMin).toBe(rem.latencyMin - s.solMin!);
        else expect(s.remLatencyMin).toBeNull();
        if (s.sol5MinMin !== null) expect(s.sol5MinMin).toBeGreaterThanOrEqual(s.solMin!);
      }),
    );
  });

  it('awakenings never exceed WASO epochs; transition rows are distributions', () => {
    fc.assert(
      fc.property(night, (n) => {
        const s = compute(n);
        expect(s.awakenings).toBeLessThanOrEqual(s.wasoMin * 2);
        const pairs = n.classes.slice(1).filter((c, i) => c !== UNSCORED && n.classes[i] !== UNSCORED).length;
        expect(s.transitions.counts.flat().reduce((a, b) => a + b, 0)).toBe(pairs);
        for (const row of s.transitions.probabilities) {
          if (row.every((p) => p === null)) continue;
          expect(close(row.reduce<number>((a, p) => a + p!, 0), 1)).toBe(true);
        }
        expect(transitions(n.labels, n.classes)).toEqual(s.transitions);
      }),
    );
  });
});
