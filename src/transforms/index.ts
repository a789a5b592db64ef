// The training toolkit around an optimizer: gradient clipping (free functions with PyTorch's shape; the
// fused form is the optimizer's maxGradNorm option), loss scaling, averages of the weights (EMA / SWA) and
// weight-decay groups.
export { clipGradNorm, clipGradValue, gradNorm, type ClipGradNormOptions } from "./clip.js";
export {
  AveragedParams, AVERAGED_STATE_FORMAT, type AveragedParamsOptions, type AveragedParamsState,
} from "./averaged-params.js";
export { GradScaler, type GradScalerOptions, type GradScalerState } from "./grad-scaler.js";
export {
  isOneDimensional, paramGroupsForWeightDecay, type WeightDecayGroup, type WeightDecayGroupsOptions,
} from "./weight-decay.js";
