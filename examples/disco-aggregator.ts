// A disco `Aggregator` whose aggregation step is one of gradstep's FedOpt server optimizers (FedAdam here;
// FedAvg, FedAvgM, FedAdagrad and FedYogi plug in the same way): `npx tsx examples/disco-aggregator.ts`.
//
// disco (github.com/epfml/disco, package @epfml/discojs) is not installable from the npm registry (its 3.x
// packages are not published), so this example is not run against it: the `disco` section below mirrors the
// part of discojs's API an aggregator uses (discojs/src/aggregator/aggregator.ts and weights_container.ts, as
// of its October 2024 sources), so that the example type-checks and runs here. Against disco itself, delete
// that section and import the real classes instead:
//   import { Aggregator, WeightsContainer, type client } from "@epfml/discojs";
// disco keeps nodes and contributions in `immutable` collections; `FedOptAggregator` below keeps its own
// contributions and reads only `nodes.size` / `nodes.has`, which both have.
//
// How disco uses it: its federated server (server/src/controllers/federated_controller.ts) registers each
// client's node, calls `add(nodeId, weights, round)` as their updates arrive, and sends every client the
// weights of the "aggregation" event. With MeanAggregator that is the plain mean; with this one it is the
// FedAdam step from the current global model (Flower's formulas: the pseudo-gradient is the mean of the clients'
// weights minus the global weights).
import * as tf from "@tensorflow/tfjs";
import { FedAdam } from "gradstep/distributed";

// ---- disco: the part of discojs's API an aggregator uses (a mirror; see above) --------------------------------
type NodeID = string;

class WeightsContainer {
  readonly weights: tf.Tensor[];
  constructor(weights: Iterable<tf.Tensor | ArrayLike<number>>) {
    this.weights = [...weights].map((w) => (w instanceof tf.Tensor ? w : tf.tensor(w)));
  }
}

abstract class Aggregator {
  protected _nodes = new Set<NodeID>();
  protected _round = 0;
  protected _communicationRound = 0;
  readonly #listeners: ((w: WeightsContainer) => void)[] = [];
  constructor(protected readonly roundCutoff = 0, public readonly communicationRounds = 1) {}
  on(_event: "aggregation", listener: (w: WeightsContainer) => void): void {
    this.#listeners.push(listener);
  }
  protected emit(_event: "aggregation", w: WeightsContainer): void {
    for (const l of this.#listeners) l(w);
  }
  add(nodeId: NodeID, contribution: WeightsContainer, aggregationRound: number, communicationRound?: number): void {
    if (!this.isValidContribution(nodeId, aggregationRound)) throw new Error("Tried adding an invalid contribution. Handle this case before calling add.");
    this._add(nodeId, contribution, communicationRound);
    if (this.isFull()) {
      const aggregated = this.aggregate();
      if (++this._communicationRound === this.communicationRounds) {
        this._communicationRound = 0;
        this._round++;
      }
      this.emit("aggregation", aggregated);
    }
  }
  isValidContribution(nodeId: NodeID, round: number): boolean {
    return this.nodes.has(nodeId) && this.round - round <= this.roundCutoff;
  }
  registerNode(nodeId: NodeID): boolean {
    const added = !this._nodes.has(nodeId);
    this._nodes.add(nodeId);
    return added;
  }
  get nodes(): ReadonlySet<NodeID> {
    return this._nodes;
  }
  get round(): number {
    return this._round;
  }
  protected abstract _add(nodeId: NodeID, contribution: WeightsContainer, communicationRound?: number): void;
  protected abstract aggregate(): WeightsContainer;
  abstract isFull(): boolean;
}
// ---- end of the mirror ---------------------------------------------------------------------------------------

/**
 * A disco aggregator that waits for every registered node, then steps a gradstep FedOpt server on their weights.
 * `numExamples(nodeId)` weights each client (Flower's weighted average); disco's clients do not report it, so it
 * defaults to 1 each (the plain mean, as MeanAggregator).
 */
class FedOptAggregator extends Aggregator {
  readonly #global: { value: Float32Array; grad: Float32Array }[];
  readonly #shapes: number[][];
  readonly #server: FedAdam;
  readonly #pending = new Map<NodeID, WeightsContainer>();

  constructor(initial: WeightsContainer, options: ConstructorParameters<typeof FedAdam>[1] = {}, readonly numExamples: (nodeId: NodeID) => number = () => 1) {
    super(0, 1);
    this.#shapes = initial.weights.map((t) => t.shape);
    this.#global = initial.weights.map((t) => ({ value: Float32Array.from(t.dataSync()), grad: new Float32Array(t.size) }));
    this.#server = new FedAdam(this.#global, options);
  }

  protected _add(nodeId: NodeID, contribution: WeightsContainer): void {
    this.#pending.set(nodeId, contribution);
  }

  isFull(): boolean {
    return this.#pending.size >= this.nodes.size;
  }

  protected aggregate(): WeightsContainer {
    const results = [...this.#pending].map(([id, w]) => ({ params: w.weights.map((t) => Float32Array.from(t.dataSync())), numExamples: this.numExamples(id) }));
    this.#pending.clear();
    this.#server.aggregate(results); // steps the global weights in place
    return new WeightsContainer(this.#global.map((p, i) => tf.tensor(p.value.slice(), this.#shapes[i])));
  }
}

// ---- a simulated round trip: 3 clients, 2 rounds ---------------------------------------------------------------
await tf.setBackend("cpu");
const initial = new WeightsContainer([tf.tensor([0.5, -1, 2], [3]), tf.tensor([[1, 0], [0, 1]])]);
const aggregator = new FedOptAggregator(initial, { eta: 0.1 });
const nodes = ["alice", "bob", "carol"];
for (const id of nodes) aggregator.registerNode(id);
let global = initial;
aggregator.on("aggregation", (w) => (global = w));
for (let round = 0; round < 2; round++) {
  // Each client "trains": its weights move from the global ones by a client-specific offset.
  nodes.forEach((id, k) => aggregator.add(id, new WeightsContainer(global.weights.map((t) => tf.add(t, 0.1 * (k + 1) * (round + 1)))), round));
  console.log(`round ${aggregator.round}:`, global.weights.map((t) => Array.from(t.dataSync())));
}
