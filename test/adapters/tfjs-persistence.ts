// The tfjs path of the persistence matrix (test/persistence.ts, run by test/suites/persistence.test.ts): state
// leaves through a tfjs optimizer's getWeights and comes back through another's setWeights. Its trainers train on
// tfjs: variables with the case's param values and shapes, a fromGradstep optimizer with the case's options,
// stepped by applyGradients with the gradients the case's own trainer computes for each step (its "shadow").
// The target's variables have other names, so the state goes over by position (tfjs's rule). It applies to the
// step optimizers' cases whose mode is not driven from outside the optimizer (schedulers, train/eval: the
// adapter has neither). Saving a model with includeOptimizer is not a row here: it needs a tfjs-layers model,
// whose weights these params are not; test/adapters/tfjs-registry.test.ts runs that path for every optimizer.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { fromGradstep, type GradstepTfjsOptimizer } from "../../src/adapters/tfjs/index.js";
import { type PersistCase, PATHS, type Trained, type Trainer } from "../persistence.js";
import { classOf } from "../registry.js";

interface TfjsTrainer extends Trainer { readonly opt: GradstepTfjsOptimizer; readonly vars: tf.Variable[] }

let serial = 0;

function tfjsTrainer(c: PersistCase): TfjsTrainer {
  const shadow = c.make();
  const tag = `persistence${serial++}`;
  const vars = shadow.params.map((p, i) => tf.variable(tf.tensor(p.value, [...p.shape]), true, `${tag}/p${i}`));
  const opt = fromGradstep(classOf(c.subject.name), { ...c.subject.options, ...c.mode.options });
  return {
    store: shadow.store, params: shadow.params, optimizer: opt as unknown as Trained, opt, vars,
    step(t) {
      shadow.step(t);
      tf.tidy(() => opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(shadow.params[i]!.grad, v.shape) }))));
    },
    snapshot: () => ({
      params: vars.map((v) => Float32Array.from(v.dataSync())),
      optimizer: opt.gradstepOptimizers.map((o) => o.stateDict()),
      iterations: opt.iterations,
    }),
    dispose() {
      opt.dispose();
      tf.dispose(vars);
      shadow.dispose();
    },
  };
}

PATHS.push({
  name: "tfjs getWeights → setWeights",
  applies: (c) => c.subject.kind === "step" && !c.mode.scheduler && !c.mode.pause && !c.mode.resume && !c.mode.prepareTarget,
  trainer: tfjsTrainer,
  async roundTrip(a, b) {
    const from = a as TfjsTrainer, to = b as TfjsTrainer;
    await to.opt.setWeights(await from.opt.getWeights());
    to.vars.forEach((v, i) => v.assign(from.vars[i]!));
  },
});
