// Choosing a learning rate and when to stop (README): the LR range test, early stopping on a held-out metric,
// and a convergence test on the training loss.
export { lrRangeTest, steepestIndex, valleyIndexOf, type LRRangeTestOptions, type LRRangeTestResult, type RangeTestOptimizer } from "./lr-range-test.js";
export { EARLY_STOPPING_STATE_FORMAT, EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState } from "./early-stopping.js";
export { CONVERGENCE_STATE_FORMAT, ConvergenceMonitor, type ConvergenceMonitorOptions, type ConvergenceMonitorState } from "./convergence.js";
