import { describe, expect, it } from "vitest";
import { DocumentResponse } from "../../../../adapters/node/http/document-response.ts";

const doc = () => new DocumentResponse('{"a":1}', 200, new Headers({ "content-type": "application/json" }), "");

// The core treats it as any Response: it must read like one, in whatever order it is used.
describe("DocumentResponse behaves as a Response", () => {
  it("reads its text once, then says the body is used", async () => {
    const res = doc();
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe('{"a":1}');
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    expect(res.takeText()).toBeNull();
  });

  it("looking at `body` does not consume it: text() afterwards still answers", async () => {
    const res = doc();
    expect(res.body).not.toBeNull();
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe('{"a":1}');
    expect(res.bodyUsed).toBe(true);
  });

  it("once `body` was asked for, the server no longer takes the text behind it", async () => {
    const res = doc();
    void res.body;
    expect(res.takeText()).toBeNull();
    expect(await res.json()).toEqual({ a: 1 });
  });

  it("clone() keeps both copies readable", async () => {
    const res = doc();
    const copy = res.clone();
    expect(await copy.text()).toBe('{"a":1}');
    expect(await res.text()).toBe('{"a":1}');
  });
});
