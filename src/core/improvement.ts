// What counts as an improvement of a monitored value, in one place for every tool that watches one:
// ReduceLROnPlateau (PyTorch's `is_better`), EarlyStopping (Keras' `_is_improvement`: an absolute threshold,
// its `min_delta`) and ConvergenceMonitor (a relative threshold against the smoothed loss a window ago).
//
//   mode "min", thresholdMode "rel":  value < best · (1 − threshold)
//   mode "min", thresholdMode "abs":  value < best − threshold
//   mode "max", thresholdMode "rel":  value > best · (1 + threshold)
//   mode "max", thresholdMode "abs":  value > best + threshold
//
// Strict comparisons: a tie (or a change of exactly the threshold) is no improvement, and neither is anything
// compared with NaN. In f64, in PyTorch's form (the threshold applied to `best`); Keras applies `min_delta` to
// the value (`value + min_delta < best`) and compares in float32, which agrees whenever both sides are exact.

/** Whether a metric improves by going down ("min": a loss) or up ("max": an accuracy). */
export type ImprovementMode = "min" | "max";
/**
 * How a threshold is read: relative to the best value ("rel": best·(1 ∓ threshold)) or absolute ("abs": best ∓
 * threshold).
 */
export type ThresholdMode = "rel" | "abs";

/** Whether `value` improves on `best` by more than `threshold` (see the table above). */
export function isImprovement(value: number, best: number, mode: ImprovementMode, threshold: number, thresholdMode: ThresholdMode): boolean {
  if (mode === "min") return thresholdMode === "rel" ? value < best * (1.0 - threshold) : value < best - threshold;
  return thresholdMode === "rel" ? value > best * (threshold + 1.0) : value > best + threshold;
}
