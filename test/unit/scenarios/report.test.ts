// The report's timeline stays a picture at scale: a bulk memory event of thousands of blocks is one
// tick per half pixel of its lane, each counting the events it stands for.
import { describe, expect, it } from 'vitest';
import { Scenario } from '../../../scenarios/builder.ts';
import { playerSteps, timelineSvg } from '../../../scenarios/report.ts';

describe('report timeline', () => {
  it('a bulk hot-remove of 3,000 blocks: every uevent counted, at most a tick per half pixel', async () => {
    const run = await Scenario.create({ memory: 1024 * 2 ** 30, cpus: 2 })
      .boot()
      .hotRemove(3000)
      .crashAt({ cpu: 1 })
      .run(null);
    const events = run.machine.events.events;
    const uevents = events.filter((e) => e.kind === 'uevent').length;
    expect(uevents).toBeGreaterThanOrEqual(3000);
    const svg = timelineSvg(events);
    const ticks = [...svg.matchAll(/<line class="uevent ([a-z]+)" data-count="(\d+)" x1="([\d.]+)"/g)];
    expect(ticks.map((m) => Number(m[2])).reduce((a, b) => a + b, 0)).toBe(uevents);
    // The lanes are 800 pixels wide: the picture does not grow with the events; one tick per kind
    // of uevent and half pixel.
    expect(ticks.length).toBeLessThanOrEqual(2 * 1600);
    expect(new Set(ticks.map((m) => `${m[1]} ${Math.round(Number(m[3]) * 2)}`)).size).toBe(ticks.length);
    // The player: the bulk event's uevents are one step, counting them.
    const steps = playerSteps(events, run.maps);
    const bulk = steps.filter((s) => s.count > 1);
    expect(bulk.reduce((n, s) => n + s.count, 0)).toBe(uevents);
    for (const s of bulk) expect(s.text).toMatch(/^\d+ uevents: memory\d+ … memory\d+ \(offline, remove\)$/);
    expect(steps.length).toBeLessThan(40);
    expect(svg).toMatch(
      /<title>\d+ events, remove memory\d+ … remove memory\d+, [\d.]+ s – [\d.]+ s<\/title>/,
    );
  });
});
