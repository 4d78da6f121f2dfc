// Reading an upstream's model list for discovery: the OpenAI and OpenRouter shapes, price
// conversion to µ$/token, and merging with what the owner entered.
import { describe, expect, it } from "vitest";
import { mergeModels, parseModelList } from "../../../src/upstreams/probe.ts";

describe("model list parsing (discover)", () => {
  it("reads OpenAI and OpenRouter shapes leniently and converts $/token prices to µ$/token", () => {
    const text = JSON.stringify({
      data: [
        { id: "a", object: "model" },
        { id: "b", name: "Model B", context_length: 128000, pricing: { prompt: "0.0000025", completion: "0.00001" } },
        { id: "c", context_window: 32768, pricing: { prompt: "-1", completion: null } },
        { id: "a", name: "duplicate" },
        { name: "no id" },
        "nonsense",
        { id: "d", context_length: "big", name: 7 },
      ],
    });
    expect(parseModelList(text)).toEqual([
      { id: "a" },
      { id: "b", name: "Model B", context_length: 128000, input_price: 2.5, output_price: 10 },
      { id: "c", context_length: 32768 },
      { id: "d" },
    ]);
    expect(parseModelList("not json")).toBeNull();
    expect(parseModelList(JSON.stringify({ models: [] }))).toBeNull();
  });

  it("keeps what the owner entered where the upstream says nothing", () => {
    expect(mergeModels([{ id: "a", context_length: 10 }, { id: "new" }], [{ id: "a", input_price: 1, context_length: 5 }, { id: "old" }])).toEqual([
      { id: "a", input_price: 1, context_length: 10 },
      { id: "new" },
    ]);
  });
});
