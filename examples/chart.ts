// The demo's charts: Vega-Lite specs compiled to Vega, rendered to SVG in Node (no browser, no canvas) and
// rasterised to PNG with resvg for the README. Both libraries are development tools (the tools/ workspace),
// not dependencies of gradstep.
import { writeFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { PositionDef } from "vega-lite/types_unstable/channeldef.js";

/** Renders `spec` to `svg` (a file URL ending in .svg) and the same chart at twice the size to the .png beside it. */
export async function writeChart(spec: TopLevelSpec, svg: URL): Promise<void> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    const text = await view.toSVG();
    writeFileSync(svg, text);
    const png = new Resvg(text, {
      background: "white",
      fitTo: { mode: "zoom", value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
    }).render().asPng();
    writeFileSync(new URL(svg.href.replace(/\.svg$/, ".png")), png);
  } finally {
    view.finalize();
  }
}

/** One point of a training curve: the mean training loss over the last steps and the lr of the last step. */
export interface CurvePoint { run: string; epoch: number; loss: number; lr: number }
/** The held-out evaluation after an epoch. */
export interface EpochPoint { run: string; epoch: number; accuracy: number }

const WIDTH = 640;
const color = { field: "run", type: "nominal", title: "optimizer", legend: { orient: "bottom", columns: 2, labelLimit: 1000, title: null } } as const;
const epochAxis = (title: string | null, epochs: number): PositionDef<string> =>
  ({ field: "epoch", type: "quantitative", title, axis: { tickMinStep: 1 }, scale: { domain: [0, epochs], nice: false } });

/**
 * Three panels over the same epoch axis: the training loss (log scale), each run's learning rate (log scale:
 * the schedule's warmup and cosine decay, the constant lr of the others), and the held-out accuracy after
 * each epoch.
 */
export function trainingSpec(title: string, curve: CurvePoint[], epochs: EpochPoint[]): TopLevelSpec {
  const last = Math.max(...epochs.map((e) => e.epoch));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    background: "white",
    vconcat: [
      {
        width: WIDTH, height: 260, data: { values: curve }, mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: epochAxis(null, last),
          y: { field: "loss", type: "quantitative", title: "training loss (mean over 20 steps)", scale: { type: "log", nice: false } },
          color,
        },
      },
      {
        width: WIDTH, height: 140, data: { values: curve }, mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: epochAxis(null, last),
          y: { field: "lr", type: "quantitative", title: "learning rate", scale: { type: "log" }, axis: { format: ".0e" } },
          color,
        },
      },
      {
        width: WIDTH, height: 180, data: { values: epochs }, mark: { type: "line", point: true, strokeWidth: 1.5 },
        encoding: {
          x: epochAxis("epoch", last),
          y: { field: "accuracy", type: "quantitative", title: "held-out accuracy (%)", scale: { zero: false } },
          color,
        },
      },
    ],
    resolve: { scale: { color: "shared" } },
  };
}

/** The LR range test: smoothed and batch loss against the lr (log scale), its suggestions as vertical rules. */
export function lrFindSpec(title: string, lrs: number[], smoothed: number[], raw: number[], marks: Array<{ name: string; lr: number }>, maxLoss: number): TopLevelSpec {
  const values = lrs.flatMap((lr, i) => [
    { lr, loss: Math.min(smoothed[i]!, maxLoss), curve: "smoothed loss (β = 0.98)" },
    { lr, loss: Math.min(raw[i]!, maxLoss), curve: "batch loss" },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    background: "white",
    width: WIDTH,
    height: 300,
    layer: [
      {
        data: { values },
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: { field: "lr", type: "quantitative", title: "learning rate", scale: { type: "log" }, axis: { format: ".0e" } },
          y: { field: "loss", type: "quantitative", title: "loss" },
          color: { field: "curve", type: "nominal", title: null, legend: { labelLimit: 1000 } },
        },
      },
      {
        data: { values: marks },
        mark: { type: "rule", strokeDash: [4, 3] },
        encoding: {
          x: { field: "lr", type: "quantitative" },
          color: { field: "name", type: "nominal", title: "suggestions", scale: { range: ["#d62728", "#2ca02c"] }, legend: { labelLimit: 1000 } },
        },
      },
    ],
    resolve: { scale: { color: "independent" } },
  };
}
