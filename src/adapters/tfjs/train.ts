// tf.train's factories as drop-ins: `train.adam(...)` and the rest, with tf.train's names, positional
// signatures and defaults, running gradstep's kernels with flavor "tfjs" (tfjs's formulas in tfjs's operation
// order, the backend's epsilon) and saving state under tfjs's names. Each class is registered with
// tf.serialization under tfjs's class name when this module is evaluated (a side effect: package.json lists
// this file under `sideEffects`), so a model saved with tfjs's optimizer loads back onto gradstep's.
import * as tf from "@tensorflow/tfjs-core";
import { SGD, Adam, Adadelta, Adagrad, Adamax, RMSprop } from "../../optim/index.js";
import { GradstepTfjsOptimizer, register } from "./optimizer.js";

const eps = (e: number | null | undefined): number => e ?? tf.backend().epsilon();

/**
 * A tf.train drop-in. Its config is its constructor's arguments under tfjs's names, `configKeys` in the
 * constructor's order (what tfjs's own getConfig gives), so fromConfig passes them back positionally.
 */
abstract class TrainOptimizer extends GradstepTfjsOptimizer {
  declare static readonly configKeys: readonly string[];

  override getConfig(): tf.serialization.ConfigDict {
    const keys = (this.constructor as typeof TrainOptimizer).configKeys;
    return Object.fromEntries(keys.map((k) => [k, (this as unknown as tf.serialization.ConfigDict)[k]!]));
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, c: tf.serialization.ConfigDict): T {
    return new cls(...(cls as unknown as typeof TrainOptimizer).configKeys.map((k) => c[k]));
  }
}

/** tf.train.sgd(learningRate): θ ← θ − lr·g. */
export class SGDOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "SGD"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate"];
  constructor(
    /** The learning rate. */ readonly learningRate: number) {
    super(SGD, { lr: learningRate, flavor: "tfjs" }, []);
  }
}

/** tf.train.momentum(learningRate, momentum, useNesterov = false). */
export class MomentumOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "Momentum"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "momentum", "useNesterov"];
  constructor(
    /** The learning rate. */ readonly learningRate: number,
    /** The momentum factor. */ readonly momentum: number,
    /** Whether to use Nesterov momentum. */ readonly useNesterov = false) {
    // Nesterov with momentum 0 is plain SGD in tfjs (g + 0·a); gradstep rejects that combination, so it is dropped.
    super(SGD, { lr: learningRate, momentum, nesterov: useNesterov && momentum > 0, flavor: "tfjs" },
      [{ buffer: "momentum_buffer", suffix: "momentum", kept: (o) => o.momentum !== 0 }]);
  }
}

/** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon). */
export class AdamOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "Adam"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "beta1", "beta2", "epsilon"];
  /** The epsilon in effect (the backend's epsilon() when none was given). */
  readonly epsilon: number;
  constructor(
    /** The learning rate. */ readonly learningRate = 0.001,
    /** Decay rate of the first-moment average. */ readonly beta1 = 0.9,
    /** Decay rate of the second-moment average. */ readonly beta2 = 0.999,
    epsilon: number | null = null) {
    const e = eps(epsilon);
    super(Adam, { lr: learningRate, betas: [beta1, beta2], eps: e, flavor: "tfjs" },
      [{ buffer: "exp_avg", suffix: "m" }, { buffer: "exp_avg_sq", suffix: "v" }]);
    this.epsilon = e;
  }
}

/** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1); ε is the backend's epsilon, inside the sqrt. */
export class AdagradOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "Adagrad"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "initialAccumulatorValue"];
  constructor(
    /** The learning rate. */ readonly learningRate: number,
    /** Initial value of the squared-gradient accumulators. */ readonly initialAccumulatorValue = 0.1) {
    super(Adagrad, { lr: learningRate, initialAccumulatorValue, eps: eps(null), flavor: "tfjs" },
      [{ buffer: "sum", suffix: "accumulator" }]);
  }
}

/**
 * tf.train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = backend epsilon): tfjs's accumulator order (the update uses the
 * accumulators from before the step). State in tfjs's order: every `<var>/accum_grad`, then every `<var>/accum_var`.
 */
export class AdadeltaOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "Adadelta"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "rho", "epsilon"];
  /** The epsilon in effect (the backend's epsilon() when none was given). */
  readonly epsilon: number;
  constructor(
    /** The learning rate. */ readonly learningRate = 0.001,
    /** Decay rate of the squared-gradient and squared-update averages. */ readonly rho = 0.95,
    epsilon: number | null = null) {
    const e = eps(epsilon);
    super(Adadelta, { lr: learningRate, rho, eps: e, flavor: "tfjs" },
      [{ buffer: "square_avg", suffix: "accum_grad" }, { buffer: "acc_delta", suffix: "accum_var" }]);
    this.epsilon = e;
  }
}

/** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = backend epsilon, centered = false). */
export class RMSPropOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "RMSProp"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "decay", "momentum", "epsilon", "centered"];
  /** The epsilon in effect (the backend's epsilon() when none was given). */
  readonly epsilon: number;
  constructor(
    /** The learning rate. */ readonly learningRate: number,
    /** Decay rate of the squared-gradient average. */ readonly decay = 0.9,
    /** The momentum factor. */ readonly momentum = 0,
    epsilon: number | null = null,
    /** Whether to normalize by the gradient's estimated variance. */ readonly centered = false) {
    // tfjs's own RMSProp refuses a missing learning rate with this message (its other optimizers do not check).
    if (learningRate == null) throw new Error("learningRate for RMSPropOptimizer must be defined.");
    const e = eps(epsilon);
    super(RMSprop, { lr: learningRate, alpha: decay, momentum, eps: e, centered, flavor: "tfjs" }, [
      { buffer: "square_avg", suffix: "rms" },
      { buffer: "momentum_buffer", suffix: "momentum", kept: (o) => o.momentum !== 0 },
      { buffer: "grad_avg", suffix: "mg", listed: (o) => o.centered === true },
    ]);
    this.epsilon = e;
  }
}

/**
 * tf.train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon, decay = 0).
 * tfjs's own Adamax cannot save its state (getWeights throws); this one saves `<var>/m`, `<var>/v`.
 */
export class AdamaxOptimizer extends TrainOptimizer {
  /** The class name tfjs serializes it under (tfjs's own optimizer's). */
  static get className(): string { return "Adamax"; }
  /** getConfig()'s keys, in the constructor's order. */
  static readonly configKeys = ["learningRate", "beta1", "beta2", "epsilon", "decay"];
  /** The epsilon in effect (the backend's epsilon() when none was given). */
  readonly epsilon: number;
  constructor(
    /** The learning rate. */ readonly learningRate = 0.002,
    /** Decay rate of the first-moment average. */ readonly beta1 = 0.9,
    /** Decay rate of the second-moment average. */ readonly beta2 = 0.999,
    epsilon: number | null = null,
    /** Learning-rate decay over steps: lr / (1 + decay·(t − 1)). */ readonly decay = 0) {
    const e = eps(epsilon);
    super(Adamax, { lr: learningRate, betas: [beta1, beta2], eps: e, lrDecay: decay, flavor: "tfjs" },
      [{ buffer: "exp_avg", suffix: "m" }, { buffer: "exp_inf", suffix: "v" }]);
    this.epsilon = e;
  }
}

register([SGDOptimizer, MomentumOptimizer, AdamOptimizer, AdagradOptimizer, AdadeltaOptimizer, RMSPropOptimizer, AdamaxOptimizer]);

/**
 * tf.train's factories, same names and positional signatures, backed by gradstep with flavor "tfjs": the
 * numbers of tfjs's own optimizers (tfjs-backend-cpu: bit for bit in our tests), state in tfjs's format.
 *
 * @example
 * import { init, train } from "gradstep/tfjs";
 * await init();
 * model.compile({ optimizer: train.adam(1e-3), loss: "categoricalCrossentropy" });   // was tf.train.adam(1e-3)
 */
export const train = {
  /** `tf.train.sgd`: an {@link SGDOptimizer}. */
  sgd: (learningRate: number) => new SGDOptimizer(learningRate),
  /** `tf.train.momentum`: an {@link MomentumOptimizer}. */
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new MomentumOptimizer(learningRate, momentum, useNesterov),
  /** `tf.train.adam`: an {@link AdamOptimizer}. */
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) => new AdamOptimizer(learningRate, beta1, beta2, epsilon),
  /** `tf.train.adagrad`: an {@link AdagradOptimizer}. */
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1) => new AdagradOptimizer(learningRate, initialAccumulatorValue),
  /** `tf.train.adadelta`: an {@link AdadeltaOptimizer}. */
  adadelta: (learningRate = 0.001, rho = 0.95, epsilon: number | null = null) => new AdadeltaOptimizer(learningRate, rho, epsilon),
  /** `tf.train.rmsprop`: an {@link RMSPropOptimizer}. */
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false) =>
    new RMSPropOptimizer(learningRate, decay, momentum, epsilon, centered),
  /** `tf.train.adamax`: an {@link AdamaxOptimizer}. */
  adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, decay = 0) =>
    new AdamaxOptimizer(learningRate, beta1, beta2, epsilon, decay),
};
