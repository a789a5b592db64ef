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
// Ported from tensorflow/tfjs, tfjs-core/src/optimizers/momentum_optimizer_test.ts,
// tag tfjs-v4.22.0 (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7), Apache-2.0
// (the license header above is tfjs's), by scripts/port-tfjs-core-tests.py. The tests run on gradstep/tfjs:
// its factories and classes build the optimizers (`train.*` for `tf.train.*`, gradstep/tfjs's
// `<Name>Optimizer` for tfjs's); the imports point at tfjs-core's package, ./shim.js (tfjs-core's test
// utilities) and vitest. Nothing else differs, except where a comment starting "gradstep:" says why.

import * as tf from '@tensorflow/tfjs-core';
import {expect, it} from 'vitest';
import {MomentumOptimizer, train} from '../../../src/adapters/tfjs/index.js';
import {ALL_ENVS, describeWithFlags} from './shim.js';
import {expectArraysClose, gradstepStateBytes} from './shim.js';

describeWithFlags('MomentumOptimizer', ALL_ENVS, () => {
  it('basic', async () => {
    const learningRate = .1;
    const momentum = .5;
    const optimizer = train.momentum(learningRate, momentum);

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost & velocity should be the only additional arrays.
    // gradstep: the accumulator lives in Wasm memory, not in a tfjs tensor: the cost is the only additional
    // tensor, and gradstep holds one f32 buffer of x's size (gradstep's own accounting).
    expect(tf.memory().numTensors).toBe(numTensors + 1);
    expect(gradstepStateBytes(optimizer)).toBe(x.size * 4);

    // newAccumulation = momentum * accumulation + gradient
    // newVariable += -learningRate * newAccumulation + variable
    //
    // de/dx = [2, 4]
    // newAccumulation = [2, 4]
    // x = [.8, 1.6]
    expectArraysClose(await x.data(), [.8, 1.6]);

    cost.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.6, 3.2]
    // accumulation = [2, 4]
    // newAccumulation = [2.6, 5.2]
    // x = [0.54, 1.08]
    expectArraysClose(await x.data(), [0.54, 1.08]);

    // There should be no new additional Tensors.
    expect(tf.memory().numTensors).toBe(numTensors);

    expect(cost).toBe(null);

    x.dispose();
    numTensors = tf.memory().numTensors;
    optimizer.dispose();

    // The optimizer.dispose() call should have disposed the m variable and the
    // momentum variable for x.
    // gradstep: neither is a tfjs tensor (momentum is a number, the velocity a buffer in Wasm memory):
    // dispose() frees no tensor, and releases the velocity's memory (gradstep's accounting).
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(gradstepStateBytes(optimizer)).toBe(0);
  });

  it('basic - with Nesterov', async () => {
    const learningRate = .1;
    const momentum = .5;
    const useNesterov = true;
    const optimizer = train.momentum(learningRate, momentum, useNesterov);

    const x = tf.tensor1d([1, 2]).variable();

    const f: () => tf.Scalar = () => x.square().sum();

    let numTensors = tf.memory().numTensors;

    let cost = optimizer.minimize(f, /* returnCost */ true);

    // Cost and velocity should be the only additional arrays.
    // gradstep: the accumulator lives in Wasm memory, not in a tfjs tensor: the cost is the only additional
    // tensor, and gradstep holds one f32 buffer of x's size (gradstep's own accounting).
    expect(tf.memory().numTensors).toBe(numTensors + 1);
    expect(gradstepStateBytes(optimizer)).toBe(x.size * 4);

    // newAccumulation = momentum * accumulation + gradient
    // newVariable = -learningRate * (newAccumulation * momentum + gradient) +
    //                variable
    //
    // de/dx = [2, 4]
    // newAccumulation = [2, 4]
    // newVariable = -0.1 * ([2, 4] * 0.5 + [2, 4]) + [1, 2]
    // x = [.7, 1.4]
    expectArraysClose(await x.data(), [.7, 1.4]);

    cost.dispose();
    numTensors = tf.memory().numTensors;

    cost = optimizer.minimize(f, /* returnCost */ false);

    // de/dx = [1.4, 2.8]
    // accumulation = [2, 4]
    // newAccumulation = [0.5 * 2 + 1.4, 0.5 * 4 + 2.8] = [2.4, 4.8]
    // newVariable = -0.1 * ([2.4, 4.8] * 0.5 + [1.4, 2.8]) + [0.7, 1.4]
    // x = [0.44, 0.88]
    expectArraysClose(await x.data(), [0.44, 0.88]);

    // There should be no new additional Tensors.
    expect(tf.memory().numTensors).toBe(numTensors);

    expect(cost).toBe(null);

    x.dispose();
    numTensors = tf.memory().numTensors;
    optimizer.dispose();

    // The optimizer.dispose() call should have disposed the m variable and the
    // momentum variable for x.
    // gradstep: neither is a tfjs tensor (momentum is a number, the velocity a buffer in Wasm memory):
    // dispose() frees no tensor, and releases the velocity's memory (gradstep's accounting).
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(gradstepStateBytes(optimizer)).toBe(0);
  });

  it('Save, load weights and conntinue training', async () => {
    const learningRate = .1;
    const momentum = .5;
    const useNesterov = true;
    const optimizer1 = train.momentum(learningRate, momentum, useNesterov);

    const x = tf.tensor1d([1, 2]).variable();
    const f: () => tf.Scalar = () => x.square().sum();

    let cost = optimizer1.minimize(f, /* returnCost */ true);

    // The iterations counter and the accumulation for the variable x.
    const optimizer2 = train.momentum(learningRate, momentum, useNesterov);
    await optimizer2.setWeights(await optimizer1.getWeights());
    cost = optimizer2.minimize(f, /* returnCost */ true);
    expectArraysClose(await cost.data(), 2.45);
    expectArraysClose(await x.data(), [0.44, 0.88]);
    expect(optimizer2.iterations).toEqual(2);
  });

  it('serialization round-trip', () => {
    const originalOpt = train.momentum(0.1, 0.2, true);
    const reserialized = MomentumOptimizer.fromConfig(
        MomentumOptimizer, originalOpt.getConfig());
    expect(reserialized.getConfig()).toEqual(originalOpt.getConfig());
  });
});
