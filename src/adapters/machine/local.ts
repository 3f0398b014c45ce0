// The machine port on this host: loopback ports from the kernel, the per-user registry of homes
// (home/registry.ts), the down marker in the home, and the files of a checkout.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Machine } from '../../ports/machine.js';
import { homePaths } from '../../home/paths.js';
import { portsOfOtherHomes, readRegistry } from '../../home/registry.js';
import { freePort, isPortFree } from '../runtime/process/ports.js';
import { findSecretInFiles } from './secret-in-files.js';

export const createLocalMachine = (opts: { home: string; repo: string }): Machine => {
  const downMarker = homePaths(opts.home).downMarker;
  return {
    freePort,
    canListen: isPortFree,
    portsOfOtherApps: () => {
      // This repository under another home is the same app, not another one.
      const registry = readRegistry();
      const others = { ...registry, homes: Object.fromEntries(Object.entries(registry.homes).filter(([, e]) => e.repo !== opts.repo)) };
      return portsOfOtherHomes(others, opts.home);
    },
    isDown: () => existsSync(downMarker),
    markDown: (at) => writeFileSync(downMarker, `${at}\n`),
    clearDown: () => rmSync(downMarker, { force: true }),
    readText: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (path) => existsSync(path),
    findSecretInFiles,
  };
};
