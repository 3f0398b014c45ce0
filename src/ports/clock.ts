// The clock port: the engine never reads the system time directly, so tests can control it.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
