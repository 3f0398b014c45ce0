// The clock port: the times the engine records (of runs, steps, deployments and events) come from
// here, so that tests can set them. Leases, deadlines and measured durations read the machine's
// own clocks.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
