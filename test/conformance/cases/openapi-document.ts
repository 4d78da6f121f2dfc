// Run last, once every other case has run (suite.ts): an undocumented status or a body off its
// schema fails here. Every case's requests go through the recording fetch of the context.
import { beforeAll, describe, expect, it } from "vitest";
import type { Conformance } from "../context.ts";
import { checkAgainstDocument, unexercised, type RecordedAnswer } from "../openapi-check.ts";

export function openApiDocumentCases(t: Conformance): void {
  const { recorder, fetch, gw } = t;
  describe("the OpenAPI document", () => {
    let document: unknown;
    let answers: RecordedAnswer[];

    beforeAll(async () => {
      const res = await fetch(`${gw.url}/openapi.json`);
      expect(res.status).toBe(200);
      document = await res.json();
      answers = await recorder.answers(new URL(gw.url).origin);
    });

    it("documents every answer the cases above received", () => {
      expect(answers.length).toBeGreaterThan(1);
      expect(checkAgainstDocument(document, answers)).toEqual([]);
    });

    it("has every operation it documents exercised by a case above", () => {
      expect(unexercised(document, answers)).toEqual([]);
    });
  });
}
