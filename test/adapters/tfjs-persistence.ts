// The tfjs paths of the persistence matrix (test/persistence.ts, run by test/suites/persistence.test.ts): state
// leaves through a tfjs optimizer's getWeights and comes back through another's setWeights, or leaves in a
// model saved with includeOptimizer and comes back through tf.loadLayersModel. Their trainers train on tfjs: a
// tfjs-layers model of one layer whose weights are the case's params (values and shapes), compiled with a
// fromGradstep optimizer of the case's options, stepped by applyGradients with the gradients the case's own
// trainer computes for each step (its "shadow"). The target's variables have other names (tfjs-layers names a
// loaded model's apart while the first lives), so state goes over by position, tfjs's rule. The paths apply to
// the step optimizers' cases whose mode is not driven from outside the optimizer (schedulers, train/eval: the
// adapter has neither), except those with global reductions (Prodigy), which the adapter refuses. A fresh process's load is in test/adapters/tfjs-registry.test.ts.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { fromGradstep, type GradstepTfjsOptimizer } from "../../src/adapters/tfjs/index.js";
import { type PersistCase, type PersistencePath, PATHS, type Trained, type Trainer } from "../persistence.js";
import { classOf, REGISTRY } from "../registry.js";

/** A layer that only holds weights of the given shapes (the params a case trains). */
class Params extends tfl.layers.Layer {
  static className = "GradstepPersistenceParams";
  readonly shapes: number[][];
  constructor(config: { shapes: number[][]; inputShape?: number[] }) {
    super(config);
    this.shapes = config.shapes;
  }
  override build(): void {
    this.shapes.forEach((s, i) => this.addWeight(`p${i}`, s, "float32", tfl.initializers.zeros()));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? inputs[0]! : inputs;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), shapes: this.shapes };
  }
}
tf.serialization.registerClass(Params);

interface TfjsTrainer extends Trainer { model: tfl.LayersModel }

const optimizerOf = (m: tfl.LayersModel) => m.optimizer as GradstepTfjsOptimizer;

function tfjsTrainer(c: PersistCase): TfjsTrainer {
  const shadow = c.make();
  const model = tfl.sequential({ layers: [new Params({ shapes: shadow.params.map((p) => [...p.shape]), inputShape: [1] })] });
  model.setWeights(shadow.params.map((p) => tf.tensor(p.value, [...p.shape])));
  model.compile({ optimizer: fromGradstep(classOf(c.subject.name), { ...c.subject.options, ...c.mode.options }), loss: "meanSquaredError" });
  const t: TfjsTrainer = {
    subject: shadow.subject, mode: shadow.mode, model, store: shadow.store, params: shadow.params,
    get optimizer() { return optimizerOf(t.model) as unknown as Trained; },
    step(s) {
      shadow.step(s);
      const weights = t.model.trainableWeights;
      tf.tidy(() => optimizerOf(t.model).applyGradients(weights.map((w, i) => ({ name: w.name, tensor: tf.tensor(shadow.params[i]!.grad, [...shadow.params[i]!.shape]) }))));
    },
    snapshot: () => ({
      params: t.model.getWeights().map((w) => Float32Array.from(w.dataSync())),
      optimizer: optimizerOf(t.model).gradstepOptimizers.map((o) => o.stateDict()),
      iterations: optimizerOf(t.model).iterations,
    }),
    dispose() {
      optimizerOf(t.model).dispose();
      t.model.dispose();
      shadow.dispose();
    },
  };
  return t;
}

const tfjsPath = (name: string, roundTrip: (from: TfjsTrainer, to: TfjsTrainer) => Promise<void>): PersistencePath => ({
  name,
  // Not an optimizer with global reductions: fromGradstep refuses it (tfjs-registry.test.ts).
  applies: (c) => c.subject.kind === "step" && !c.mode.scheduler && !c.mode.pause && !c.mode.resume && !c.mode.prepareTarget &&
    !REGISTRY.find((e) => e.name === c.subject.name)?.spec.global,
  trainer: tfjsTrainer,
  roundTrip: (a, b) => roundTrip(a as TfjsTrainer, b as TfjsTrainer),
});

PATHS.push(
  tfjsPath("tfjs getWeights → setWeights", async (from, to) => {
    await optimizerOf(to.model).setWeights(await optimizerOf(from.model).getWeights());
    to.model.setWeights(from.model.getWeights());
  }),
  tfjsPath("tfjs model.save({ includeOptimizer }) → tf.loadLayersModel", async (from, to) => {
    let saved: tf.io.ModelArtifacts | undefined;
    await from.model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }), { includeOptimizer: true });
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    optimizerOf(to.model).dispose();
    to.model.dispose();
    to.model = loaded;
  }),
);
