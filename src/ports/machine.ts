// The machine port: what the engine asks of the host it runs on beyond processes and the proxy —
// loopback ports, the per-user registry of Slipway apps, the "down" marker of `slipway down`, and
// the files of a run's checkout. The local adapter (adapters/machine/local.ts) is the only
// implementation; the engine itself never touches the file system or a socket.

export interface Machine {
  /** A loopback port that was free a moment ago (the kernel's choice). */
  freePort(): Promise<number>;
  /** True when nothing listens on 127.0.0.1:`port` (a listen that works, closed at once). */
  canListen(port: number): Promise<boolean>;
  /** Ports that other Slipway apps of this user serve on (port → app), this repository's other homes left out. */
  portsOfOtherApps(): Map<number, string>;
  /** True after `slipway down` stopped everything, until `up` or a deployment serves again. */
  isDown(): boolean;
  /** Records that everything was stopped on purpose (the watchdog leaves the proxy down). */
  markDown(at: string): void;
  clearDown(): void;
  /** The text of a file (a run's checkout), or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  /**
   * The first file under `paths` (relative to `root`) that holds one of `values` in any masked
   * form, relative to `root`; undefined when none does. Links are not followed.
   */
  findSecretInFiles(root: string, paths: readonly string[], values: readonly string[]): Promise<string | undefined>;
}
