// Node's synchronous SHA-256 for API-key lookups: Web Crypto's digest on Node 20 queues a job on
// the thread pool and resolves a promise per call, a measurable share of a warm request's CPU.
import { hash } from "node:crypto";
import type { KeyHasher } from "../../../src/index.ts";

export const nodeHashKey: KeyHasher = (value) => hash("sha256", value, "hex");
