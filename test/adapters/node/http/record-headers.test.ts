import { describe, expect, it } from "vitest";
import { RecordHeaders } from "../../../../adapters/node/http/record-headers.ts";

// The Node adapter's record-backed Headers must answer like the standard class it stands in for.
describe("RecordHeaders", () => {
  const script = (h: Headers) => {
    h.set("Content-Type", "application/json");
    h.append("x-multi", "a");
    h.append("X-Multi", "b");
    h.append("set-cookie", "a=1");
    h.append("Set-Cookie", "b=2");
    h.set("x-gone", "1");
    h.delete("X-GONE");
    h.set("x-padded", "  v  ");
    return h;
  };

  it("answers get, has, getSetCookie and iteration like Headers", () => {
    const ours = script(new RecordHeaders());
    const std = script(new Headers());
    for (const name of ["content-type", "CONTENT-TYPE", "x-multi", "set-cookie", "x-gone", "x-padded", "missing"]) {
      expect(ours.get(name)).toBe(std.get(name));
      expect(ours.has(name)).toBe(std.has(name));
    }
    expect(ours.getSetCookie()).toEqual(std.getSetCookie());
    expect([...ours]).toEqual([...std]);
    expect([...ours.keys()]).toEqual([...std.keys()]);
    expect([...ours.values()]).toEqual([...std.values()]);
    const seen: string[] = [];
    ours.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual([...std].map(([k, v]) => `${k}=${v}`));
  });

  it("reads the record node and undici parse into, arrays included", () => {
    const h = new RecordHeaders({ "content-length": "12", vary: ["a", "b"], "set-cookie": ["x=1", "y=2"], absent: undefined });
    expect(h.get("Content-Length")).toBe("12");
    expect(h.get("vary")).toBe("a, b");
    expect(h.getSetCookie()).toEqual(["x=1", "y=2"]);
    expect(h.has("absent")).toBe(false);
    expect(new Response("", { headers: h }).headers.get("vary")).toBe("a, b");
  });

  it("refuses what Headers refuses: bad names and header injection", () => {
    const h = new RecordHeaders();
    expect(() => h.set("bad name", "v")).toThrow(TypeError);
    expect(() => h.set("x-ok", "a\r\nx-injected: 1")).toThrow(TypeError);
    expect(() => h.append("x-ok", "nul\0")).toThrow(TypeError);
    expect(() => new Headers().set("x-ok", "a\r\nx-injected: 1")).toThrow(TypeError);
    expect(h.has("x-ok")).toBe(false);
  });

  it("hands node the very record it holds", () => {
    const record = { "x-a": "1" };
    const h = new RecordHeaders(record);
    h.set("content-length", "3");
    expect(h.record).toBe(record);
    expect(record).toEqual({ "x-a": "1", "content-length": "3" });
  });
});
