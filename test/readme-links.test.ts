// The README and docs/ speak only of files a clone has: every relative link resolves inside
// the repository, and nothing points at the workspace's ../shared folder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const documents = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

describe.each(documents)("%s", (doc) => {
  const text = readFileSync(join(root, doc), "utf8");

  it("links only to files in the repository", () => {
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t));
    for (const target of targets) {
      const path = normalize(join(dirname(join(root, doc)), target.split("#")[0]!));
      expect(relative(root, path).startsWith(".."), `${target} leaves the repository`).toBe(false);
      expect(existsSync(path), `${target} does not exist`).toBe(true);
    }
  });

  it("does not mention the workspace's shared folder", () => {
    expect(text).not.toMatch(/\.\.\/shared|\/work\/shared/);
  });
});

it("the README links the contract in docs/", () => {
  expect(readFileSync(join(root, "README.md"), "utf8")).toContain("](docs/api.md)");
});
