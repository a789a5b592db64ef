/**
 * @license
 * Copyright 2018 Google LLC. All Rights Reserved.
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 * http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 * =============================================================================
 */
// Ported from tensorflow/tfjs, tfjs-core/src/optimizers/adagrad_optimizer_test.ts,
// tag tfjs-v4.22.0 (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), Apache-2.0
// (the license header above is tfjs's), by scripts/port-tfjs-core-tests.py. The tests run on gradstep/tfjs:
// its factories and classes build the optimizers (`train.*` for `tf.train.*`, gradstep/tfjs's
// `<Name>Optimizer` for tfjs's); the imports point at tfjs-core's package, ./shim.js (tfjs-core's test
// utilities) and vitest. Nothing else differs, except where a comment starting "gradstep:" says why.

import * as tf from '@tensorflow/tfjs-core';
import {expect, it} from 'vitest';
import {AdagradOptimizer, train} from '../../../src/adapters/tfjs/index.js';
import {ALL_ENVS, describeWithFlags} from './shim.js';
import {expectArraysClose, gradstepStateBytes} from './shim.js';

describeWithFlags('AdagradOptimizer', ALL_ENVS, () => {
  it('basic', async () => {
    const initialTensors = tf.memory().numTensors;
    const learningRate = .1;
    const initialAccumulatorValue = .1;
    const optimizer = train.adagrad(learningRate, initialAccumulatorValue);

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & accumulator should be the only additional arrays.
    // gradstep: the accumulator lives in Wasm memory, not in a tfjs tensor: the cost is the only additional
    // tensor, and gradstep holds one f32 buffer of x's size (gradstep's own accounting).
    expect(tf.memory().numTensors).toBe(numTensors + 1);
    expect(gradstepStateBytes(optimizer)).toBe(x.size * 4);

    // epsilon = 1-e8
    // newAccumulatedGrad = accumulatedGrad + grad^2
    // x -= (learningRate * grad) / sqrt(newAccumulatedGrad + eps)
    // de/dx = [2, 4]
    // accumulatedGrad = [0.1, 0.1]
    // newAccumulatedGrad = [4.1, 16.1]
    // x = [0.9012270405, 1.900311042]
    expectArraysClose(await x.data(), [0.9012270405, 1.9003110428]);

    cost.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.802454081, 3.9501555214]
    // accumulatedGrad = [4.1, 16.1]
    // newAccumulatedGrad = [7.3488407141, 31.7037286432]
    // x = [0.8347372764, 1.83015597828]

    // TODO: Fix numerical precision.
    expectArraysClose(await x.data(), [0.8347372764, 1.83015597828], 1e-2);

    // There should be no new additional Tensors.
    expect(tf.memory().numTensors).toBe(numTensors);

    expect(cost).toBe(null);

    x.dispose();
    optimizer.dispose();

    // The only additional tensor remaining is the argument to variable().
    expect(tf.memory().numTensors).toBe(initialTensors + 1);
  });

  it('Continue training after loading weights', async () => {
    const learningRate = .1;
    const initialAccumulatorValue = .1;
    const optimizer1 = train.adagrad(learningRate, initialAccumulatorValue);

    const x = tf.tensor1d([2, 4]).variable();
    const f: () => tf.Scalar = () => x.square().sum();
    let cost = optimizer1.minimize(f, /* returnCost */ true);
    expectArraysClose(await cost.data(), 20);

    const weights = await optimizer1.getWeights();
    expect(weights.length).toEqual(2);
    expect(weights[0].name).toEqual('iter');
    expect(weights[1].name).toEqual(`${x.name}/accumulator`);

    // gradstep: tfjs builds an Adam here (`tf.train.adam(learningRate, initialAccumulatorValue)`) and gives it
    // Adagrad's weights. tfjs's Adam.setWeights splits any list in halves (here: no first moment, and Adagrad's
    // accumulator as x's second moment), and the checks below hold whatever it does: the cost is computed
    // before the update, and iterations comes from `iter`. gradstep/tfjs refuses weights laid out for another
    // optimizer with a clear error (test/adapters/tfjs.test.ts checks it), so the test builds the Adagrad it
    // names.
    const optimizer2 = train.adagrad(learningRate, initialAccumulatorValue);
    await optimizer2.setWeights(weights);

    cost = optimizer2.minimize(f, /* returnCost */ true);
    expectArraysClose(await cost.data(), 18.82179);
    expect(optimizer2.iterations).toEqual(2);
  });

  it('serialization round-trip', () => {
    const originalOpt = train.adagrad(0.1, 0.2);
    const reserialized = AdagradOptimizer.fromConfig(
        AdagradOptimizer, originalOpt.getConfig());
    expect(reserialized.getConfig()).toEqual(originalOpt.getConfig());
  });
});
