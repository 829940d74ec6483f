import { getHeapSpaceStatistics } from "node:v8";
for (const m of (process.env.MODS ?? "").split(",").filter(Boolean)) await import(m);
const s = getHeapSpaceStatistics().find((x) => x.space_name === "new_space")!;
console.error(`RESULT new=${s.space_size / 1048576}`);
