// One upstream failing (no other candidate): its error in the gateway's shape.
import { describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";

export function upstreamFailureCases(t: Conformance): void {
  const { chat, expectError, hi } = t;
  describe("upstream failures", () => {
    it("relays an upstream error with its status in the gateway's shape", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, mock: { status: 400 } });
      const err = await expectError(res, 400, "mock_400");
      expect(err.message).toBe("mock upstream error");
    });

    it("relays upstream 5xx errors", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, stream: true, mock: { status: 503 } });
      await expectError(res, 503, "mock_503");
    });

    it("wraps an upstream error without a usable body as 502", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, mock: { status: 500, error_body: "<html>oops</html>" } });
      await expectError(res, 502, "upstream_error");
    });

    it("answers 502 for malformed upstream JSON", async () => {
      const res = await chat({ model: "openai/mock-model", messages: hi, mock: { malformed: "json" } });
      await expectError(res, 502, "upstream_error");
    });

    it("answers 504 upstream_timeout when the first byte is too slow", async () => {
      for (const stream of [false, true]) {
        const res = await chat({ model: "openai/mock-model", messages: hi, stream, mock: { first_byte_delay_ms: 2000 } });
        await expectError(res, 504, "upstream_timeout");
      }
    });

    it("answers 502 when the upstream cannot be reached", async () => {
      const res = await chat({ model: "dead/x", messages: hi });
      await expectError(res, 502, "upstream_error");
    });
  });
}
