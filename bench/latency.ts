// Precise sequential latency: one keep-alive undici Client per target, one request at a time,
// each timed with performance.now() from send to the last body byte.
import type { Client } from "undici";
import type { Target } from "./targets.ts";

export interface SequentialBlock {
  /** ms per successful (200) request */
  samples: number[];
  errors: number;
  firstError?: string;
}

export async function runSequential(client: Client, target: Target, body: string, count: number): Promise<SequentialBlock> {
  const block: SequentialBlock = { samples: [], errors: 0 };
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    try {
      const res = await client.request({ path: target.path, method: "POST", headers: target.headers, body });
      if (res.statusCode === 200) {
        for await (const _ of res.body) {
          // read every byte without buffering them
        }
        block.samples.push(performance.now() - start);
      } else {
        block.errors++;
        const text = await res.body.text();
        block.firstError ??= `status ${res.statusCode}: ${text.slice(0, 200)}`;
      }
    } catch (err) {
      block.errors++;
      block.firstError ??= err instanceof Error ? err.message : String(err);
    }
  }
  return block;
}
