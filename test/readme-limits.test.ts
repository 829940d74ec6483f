// The README's limits table and src/limits.ts must say the same thing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, LIMIT_ENV, type Limits } from "../src/limits.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const table = readme.split("<!-- limits:start -->")[1]?.split("<!-- limits:end -->")[0] ?? "";
const rows = table
  .split("\n")
  .filter((line) => line.startsWith("| ") && !line.startsWith("| limit") && !line.startsWith("|---"))
  .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));

const code = (cell: string) => /`([^`]+)`/.exec(cell)?.[1];

describe("README limits table", () => {
  it("lists every limit of src/limits.ts exactly once", () => {
    expect(rows.map((row) => code(row[1]!)).sort()).toEqual(Object.keys(DEFAULT_LIMITS).sort());
  });

  it("gives each limit the default and the environment variable the code uses", () => {
    for (const [, option, env, defaults] of rows) {
      const key = code(option!) as keyof Limits;
      const envName = (LIMIT_ENV as Record<string, string>)[key];
      expect(env === "—" ? undefined : code(env!), key).toBe(envName);
      const value = DEFAULT_LIMITS[key];
      const expected =
        value && typeof value === "object" && "perSecond" in value ? `${value.perSecond}/${value.burst}` : Array.isArray(value) ? "same origin only" : String(value);
      expect(defaults!.startsWith(expected), `${key}: README says "${defaults}", code says ${expected}`).toBe(true);
    }
  });
});
