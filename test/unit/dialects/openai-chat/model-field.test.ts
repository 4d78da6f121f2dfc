import { describe, expect, it } from "vitest";
import { parseChatBody } from "../../../../src/dialects/openai-chat/body.ts";
import { modelValueSpan } from "../../../../src/dialects/openai-chat/model-field.ts";
import { modelRewriter } from "../../../../src/dialects/openai-chat/model-rewrite.ts";
import { upstreamBody } from "../../../../src/dialects/openai-chat/upstream-body.ts";

const route = (upstreamModel: string) => ({ upstreamModel });
const hi = [{ role: "user", content: "hi" }];

describe("model id in JSON text", () => {
  it("finds only real keys: not escaped quotes, not string values, not a key with a non-string value", () => {
    const span = (json: string) => {
      const s = modelValueSpan(json);
      return s && json.slice(s[0], s[1]);
    };
    expect(span('{"id":1,"model" : "gpt-4o","x":2}')).toBe('"gpt-4o"');
    expect(span('{"content":"say \\"model\\": \\"x\\"","model":"real"}')).toBe('"real"');
    expect(span('{"content":"\\"model":"no"}')).toBeNull();
    expect(span('{"tags":["model"],"model":"real"}')).toBe('"real"');
    expect(span('{"model":null,"meta":{"model":"nested"}}')).toBe('"nested"');
    expect(span('{"model":"unterminated')).toBeNull();
    expect(span('{"model":"a\\"b\\\\","x":1}')).toBe('"a\\"b\\\\"');
  });

  it("rewrites an answer's model id and leaves every other byte alone", () => {
    const rewrite = modelRewriter('openai/gpt-4o "mini"');
    const answer = '{"id":"c1","model":"gpt-4o-2024","choices":[{"message":{"content":"the \\"model\\" is"}}]}';
    const out = rewrite(answer);
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(answer), model: 'openai/gpt-4o "mini"' });
    expect(out.replace('"openai/gpt-4o \\"mini\\""', '"gpt-4o-2024"')).toBe(answer);
    expect(rewrite('{"object":"list"}')).toBe('{"object":"list"}');
  });

  it("gives the upstream the same request whether the model is swapped in the text or re-serialised", () => {
    const bodies = [
      { model: "openai/gpt-4o-mini", messages: hi },
      { messages: hi, temperature: 0.2, model: "openai/gpt-4o-mini", n: 1 },
      { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: 'a "model": "x" inside' }] },
      { model: "openai/gpt-4o-mini", messages: hi, tools: [{ type: "function", function: { name: "f", parameters: { properties: { model: { type: "string" } } } } }] },
      { model: "openai/模型", messages: hi, metadata: { note: "model" } },
    ];
    for (const body of bodies) {
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 2)]) {
        const chat = parseChatBody(text);
        const sent = upstreamBody(chat, route("gpt-4o-mini"));
        expect(JSON.parse(sent)).toEqual({ ...body, model: "gpt-4o-mini" });
      }
    }
  });

  it("keeps the client's bytes (number precision included) when it swaps in the text", () => {
    const text = '{"model":"openai/m","messages":[{"role":"user","content":"hi"}],"seed":12345678901234567890,"top_p":1.0}';
    expect(upstreamBody(parseChatBody(text), route("m"))).toBe(text.replace('"openai/m"', '"m"'));
  });

  it("re-serialises when the text is ambiguous: escaped key, duplicate keys, escaped value", () => {
    const escapedKey = '{"mod\\u0065l":"openai/m","messages":[{"role":"user","content":"hi"}]}';
    expect(JSON.parse(upstreamBody(parseChatBody(escapedKey), route("m"))).model).toBe("m");
    const duplicate = '{"model":"openai/x","model":"openai/m","messages":[{"role":"user","content":"hi"}]}';
    expect(JSON.parse(upstreamBody(parseChatBody(duplicate), route("m")))).toEqual({ model: "m", messages: hi });
    const escapedValue = '{"model":"openai\\/m","messages":[{"role":"user","content":"hi"}]}';
    expect(JSON.parse(upstreamBody(parseChatBody(escapedValue), route("m"))).model).toBe("m");
  });

  it("adds include_usage to a stream request", () => {
    const chat = parseChatBody(JSON.stringify({ model: "openai/m", messages: hi, stream: true }));
    expect(JSON.parse(upstreamBody(chat, route("m")))).toEqual({ model: "m", messages: hi, stream: true, stream_options: { include_usage: true } });
  });
});
