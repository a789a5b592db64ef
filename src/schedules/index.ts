// Learning-rate schedulers (PyTorch's torch.optim.lr_scheduler, torch 2.13 semantics) and pure schedule
// functions (Optax style). The package root re-exports everything here.
export type { SchedulableOptimizer, SchedulableParamGroup } from "./common.js";
export { LRScheduler, SCHEDULER_STATE_FORMAT, type SchedulerStateDict } from "./scheduler.js";
export { LambdaLR, MultiplicativeLR, type LambdaLROptions, type LrLambda, type MultiplicativeLROptions } from "./lambda.js";
export {
  ConstantLR, ExponentialLR, LinearLR, MultiStepLR, PolynomialLR, StepLR, type ConstantLROptions, type ExponentialLROptions,
  type LinearLROptions, type MultiStepLROptions, type PolynomialLROptions, type StepLROptions,
} from "./decay.js";
export { CosineAnnealingLR, CosineAnnealingWarmRestarts, type CosineAnnealingLROptions, type CosineAnnealingWarmRestartsOptions } from "./cosine.js";
export { CyclicLR, OneCycleLR, type CyclicLROptions, type OneCycleLROptions } from "./cyclic.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./plateau.js";
export { ChainedScheduler, SequentialLR, type SequentialLROptions } from "./compose.js";
export { SWALR, type SWALROptions } from "./swa.js";
export {
  constantSchedule, cosineDecaySchedule, cosineOnecycleSchedule, exponentialDecay, joinSchedules, linearOnecycleSchedule,
  linearSchedule, piecewiseConstantSchedule, piecewiseInterpolateSchedule, polynomialSchedule, scheduleLambda, sgdrSchedule,
  warmupCosineDecaySchedule, type CosineDecayScheduleOptions, type CosineOnecycleScheduleOptions, type ExponentialDecayOptions,
  type LinearOnecycleScheduleOptions, type LinearScheduleOptions, type PiecewiseConstantScheduleOptions,
  type PiecewiseInterpolateScheduleOptions, type PolynomialScheduleOptions, type Schedule, type WarmupCosineDecayScheduleOptions,
} from "./functions.js";
