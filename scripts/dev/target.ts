import type { ChildProcess } from "node:child_process";

/** One platform's local dev server, started with the gateway's settings on host:port. */
export interface DevTarget {
  /** For the banner: which runtime serves. */
  title: string;
  start(settings: Record<string, string>, host: string, port: number, root: string): Promise<DevServer>;
}

export interface DevServer {
  url: string;
  /** The platform's process, when it runs in one (not for the in-process Edge runtime). */
  child?: ChildProcess;
  close(): Promise<void>;
}
