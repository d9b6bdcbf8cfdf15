import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, instantBounds, localDate, normalizeTimeZone } from '../../src/nights/local-date.js';
import { compareForMainSleep, nightSpan } from '../../src/nights/night-span.js';

describe('time zone names', () => {
  it.each([
    ['UTC', 'UTC'],
    ['utc', 'UTC'],
    ['Europe/London', 'Europe/London'],
    ['europe/london', 'Europe/London'],
    ['America/New_York', 'America/New_York'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['Etc/GMT+5', 'Etc/GMT+5'],
    // Aliases stay as given rather than becoming ICU's canonical name.
    ['US/Eastern', 'US/Eastern'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
  ])('accepts %s as %s', (name, stored) => {
    expect(normalizeTimeZone(name)).toBe(stored);
  });

  it.each(['', 'Mars/Olympus_Mons', 'Europe/Londn', '+01:00', '-05:00', 'UTC+1', 'Europe/../London', 'Europe/London ', 'x'.repeat(65)])('rejects %j', (name) => {
    expect(normalizeTimeZone(name)).toBeNull();
  });
});

describe('the local date of an instant', () => {
  it('differs between zones for the same instant', () => {
    const end = new Date('2026-01-15T03:30:00Z');
    expect(localDate(end, 'UTC')).toBe('2026-01-15');
    expect(localDate(end, 'Europe/London')).toBe('2026-01-15');
    expect(localDate(end, 'America/New_York')).toBe('2026-01-14');
    expect(localDate(end, 'Asia/Tokyo')).toBe('2026-01-15');
    expect(localDate(new Date('2026-01-14T15:30:00Z'), 'Asia/Tokyo')).toBe('2026-01-15');
  });

  it('follows DST: London springs forward on 2026-03-29 at 01:00 UTC, New York falls back on 2026-11-01 at 06:00 UTC', () => {
    // 23:30 UTC is 23:30 GMT before the change and 00:30 BST after it.
    expect(localDate(new Date('2026-03-28T23:30:00Z'), 'Europe/London')).toBe('2026-03-28');
    expect(localDate(new Date('2026-03-29T23:30:00Z'), 'Europe/London')).toBe('2026-03-30');
    // 04:30 UTC is 00:30 EDT on 1 Nov; 04:30 UTC on 2 Nov is 23:30 EST on 1 Nov.
    expect(localDate(new Date('2026-11-01T04:30:00Z'), 'America/New_York')).toBe('2026-11-01');
    expect(localDate(new Date('2026-11-02T04:30:00Z'), 'America/New_York')).toBe('2026-11-01');
  });

  it('does calendar arithmetic on YYYY-MM-DD dates across months, years and leap days', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2026-03-29', -30)).toBe('2026-02-27');
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
    expect(daysBetween('2026-03-02', '2026-03-01')).toBe(-1);
    expect(() => addDays('2026-1-1', 1)).toThrow(/YYYY-MM-DD/);
  });

  it('bounds the instants of a date range in every zone', () => {
    const { fromMs, toMs } = instantBounds('2026-01-10', '2026-01-11');
    for (const zone of ['Pacific/Kiritimati', 'Etc/GMT+12', 'UTC', 'America/New_York']) {
      for (let ms = fromMs - 3_600_000; ms < toMs + 3_600_000; ms += 600_000) {
        const inRange = localDate(new Date(ms), zone) === '2026-01-10';
        if (inRange) expect(ms >= fromMs && ms < toMs, `${zone} ${new Date(ms).toISOString()}`).toBe(true);
      }
    }
  });
});

describe("a recording's night span", () => {
  const recording = { id: 'r', started_at: '2026-03-28T22:30:00Z', epoch_seconds: 30 };

  it('is dated by the end of its last stored epoch in the given zone, and its TIB counts gaps', () => {
    const span = nightSpan(recording, { count: 900, first: 0, last: 959 }, 'Europe/London');
    expect(span.start.toISOString()).toBe('2026-03-28T22:30:00.000Z');
    expect(span.end.toISOString()).toBe('2026-03-29T06:30:00.000Z');
    expect(span.tibMin).toBe(480);
    expect(span.epochCount).toBe(900);
    expect(span.date).toBe('2026-03-29');
    expect(nightSpan(recording, { count: 1, first: 10, last: 10 }, 'Europe/London').date).toBe('2026-03-28');
  });

  it('dates a night ending exactly at local midnight on the new day (the end is exclusive)', () => {
    // 60 epochs from 23:00 UTC end at 23:30 UTC; an epoch ending at 00:00 local belongs to the next date.
    const r = { id: 'r', started_at: '2026-01-09T23:00:00Z', epoch_seconds: 30 };
    expect(nightSpan(r, { count: 119, first: 0, last: 118 }, 'UTC').date).toBe('2026-01-09');
    expect(nightSpan(r, { count: 120, first: 0, last: 119 }, 'UTC').date).toBe('2026-01-10');
  });

  it('orders main-sleep candidates by time in bed, then start, then id', () => {
    const at = (iso: string) => new Date(iso);
    const items = [
      { tibMin: 60, start: at('2026-01-01T13:00:00Z'), recordingId: 'a' },
      { tibMin: 420, start: at('2026-01-01T00:00:00Z'), recordingId: 'c' },
      { tibMin: 420, start: at('2026-01-01T00:00:00Z'), recordingId: 'b' },
      { tibMin: 420, start: at('2025-12-31T23:00:00Z'), recordingId: 'd' },
    ];
    expect([...items].sort(compareForMainSleep).map((i) => i.recordingId)).toEqual(['d', 'b', 'c', 'a']);
  });
});

describe('calendar arithmetic in the first centuries', () => {
  // Date.UTC reads the years 0–99 as 1900–1999; these dates must not move.
  it('adds days and counts them across the years 0050–0100', () => {
    expect(addDays('0099-12-31', 1)).toBe('0100-01-01');
    expect(addDays('0050-03-01', -1)).toBe('0050-02-28');
    expect(daysBetween('0099-12-30', '0100-01-02')).toBe(3);
    expect(daysBetween('0050-01-01', '2000-01-01')).toBe(daysBetween('0050-01-01', '0051-01-01') + daysBetween('0051-01-01', '2000-01-01'));
    expect(daysBetween('1999-12-01', '2000-01-01')).toBe(31);
  });
});
