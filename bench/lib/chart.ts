// The SVG chart of a run: roomkit's targets against their baselines (= 1.0), one horizontal bar per
// workload and target, in four panels: throughput (higher is better), p99 latency, memory per idle
// connection and the reconnect storm's time until every client is back (lower is better). The bar
// of issue 7 is drawn as a tick on each row.
import { PRIMARY, fmt, type SummaryLine } from "./report.ts";
import type { Target } from "./targets.ts";

interface Bar {
  label: string;
  ratio: number;
  detail: string;
  limit?: number;
  color: string;
}

const COLORS: Record<string, string> = { "node-bare": "#2f6fba", "node-chat": "#7fa8dc", "cf-bare": "#e07b1f", "cf-chat": "#f2b36f" };

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function chartSvg(lines: SummaryLine[], targets: readonly Target[], title: string): string {
  const byId = new Map(targets.map((t) => [t.id, t]));
  const panel = (name: string, pick: (l: SummaryLine) => { ratio: number; detail: string; limit?: number } | null): { name: string; bars: Bar[] } => {
    const bars: Bar[] = [];
    for (const l of lines) {
      const target = byId.get(l.target);
      if (!target || l.target === l.baseline) continue;
      const got = pick(l);
      if (!got || !Number.isFinite(got.ratio)) continue;
      bars.push({ label: `${l.workload} · ${target.label.replace("roomkit ", "")}`, color: COLORS[l.target] ?? "#888", ...got });
    }
    return { name, bars };
  };
  const base = (l: SummaryLine, key: string) => {
    const line = lines.find((x) => x.workload === l.workload && x.target === l.baseline);
    return line ? (key === l.metric ? line.median : line.secondary[key]) : undefined;
  };
  const secondaryRatio = (l: SummaryLine, key: string) => {
    const mine = key === l.metric ? l.median : l.secondary[key];
    const theirs = base(l, key);
    return mine !== undefined && theirs ? { ratio: mine / theirs, detail: `${fmt(mine, "ms")} vs ${fmt(theirs, "ms")} ms` } : null;
  };
  const panels = [
    panel("Throughput and connection rate vs baseline (higher is better)", (l) => {
      if (!["W1-throughput", "W2", "W4", "W5", "W3-2000-connect", "W3-10000-connect"].includes(l.workload) || l.ratio === null) return null;
      return { ratio: l.ratio, detail: `${fmt(l.median)} vs ${fmt(l.baselineMedian)}${l.unit}`, limit: l.bar?.limit };
    }),
    panel("p99 latency vs baseline (lower is better)", (l) => {
      if (l.workload === "W1-latency" && l.ratio !== null) return { ratio: l.ratio, detail: `${fmt(l.median, "ms")} vs ${fmt(l.baselineMedian, "ms")} ms`, limit: l.bar?.limit };
      if (l.workload === "W2" || l.workload === "W4") return secondaryRatio(l, "p99");
      return null;
    }),
    panel("RSS per idle connection vs baseline (lower is better)", (l) => {
      if (l.metric !== "bytesPerConn" || l.ratio === null) return null;
      return { ratio: l.ratio, detail: `${fmt(l.median)} vs ${fmt(l.baselineMedian)} B`, limit: l.bar?.limit };
    }),
    panel("W6 reconnect storm: restart until every client is back, vs baseline (lower is better; Node only)", (l) => {
      if (l.workload !== "W6" || l.ratio === null) return null;
      return { ratio: l.ratio, detail: `${fmt(l.median, "ms")} vs ${fmt(l.baselineMedian, "ms")} ms`, limit: l.bar?.limit };
    }),
  ];
  const width = 860;
  const labelW = 300;
  const plotW = 400;
  const rowH = 20;
  const maxRatio = Math.max(2, ...panels.flatMap((p) => p.bars.map((b) => Math.min(b.ratio, 4))));
  const x = (ratio: number) => labelW + (Math.min(ratio, maxRatio) / maxRatio) * plotW;
  const parts: string[] = [];
  let y = 40;
  parts.push(`<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (const p of panels) {
    parts.push(`<text x="10" y="${y + 14}" font-size="13" font-weight="bold">${esc(p.name)}</text>`);
    y += 24;
    const top = y;
    if (p.bars.length === 0) {
      parts.push(`<text x="${labelW}" y="${y + 14}" font-size="12" fill="#666">not run</text>`);
      y += rowH;
    }
    for (const b of p.bars) {
      parts.push(`<text x="${labelW - 8}" y="${y + 14}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(b.ratio) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${b.color}"/>`);
      if (b.limit !== undefined) {
        parts.push(`<line x1="${x(b.limit).toFixed(1)}" x2="${x(b.limit).toFixed(1)}" y1="${y + 1}" y2="${y + rowH - 1}" stroke="#c00" stroke-width="2"/>`);
      }
      parts.push(`<text x="${labelW + plotW + 8}" y="${y + 14}" font-size="11">${b.ratio.toFixed(2)}× (${esc(b.detail)})</text>`);
      y += rowH;
    }
    parts.push(`<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="${top - 2}" y2="${y + 2}" stroke="#000" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x(1).toFixed(1)}" y="${y + 14}" font-size="10" text-anchor="middle">1.0 = baseline</text>`);
    y += 30;
  }
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#444">Red tick: the bar of issue 7. A ratio is the median over repetitions of target ÷ baseline of the same repetition; in brackets the medians of the values. Clipped above ${maxRatio.toFixed(1)}.</text>`);
  y += 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 160}" height="${y + 10}" font-family="sans-serif" viewBox="0 0 ${width + 160} ${y + 10}">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join("\n")}\n</svg>\n`;
}

export { PRIMARY };
