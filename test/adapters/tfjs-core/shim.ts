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
// What the ported optimizer tests (the *_test.ts files beside this one) import from tfjs-core's test utilities,
// for vitest. From tensorflow/tfjs at tag tfjs-v4.22.0 (commit e5d5e9371ed1fd0a4df6d7cd0b947d2a820cefd7):
// `describeWithFlags`, `ALL_ENVS` and the per-suite engine life cycle from tfjs-core/src/jasmine_util.ts;
// `expectArraysClose`, `expectArraysEqual`, `expectNumbersClose` and their tolerances (1e-3 on a float32
// backend, 1e-1 on float16) from tfjs-core/src/test_util.ts, unchanged but for types. The environment is what
// tfjs-backend-cpu/src/setup_test.ts sets up for these tests (chained ops, gradients), plus tfjs-backend-wasm,
// the other backend gradstep/tfjs reads differently (views of its heap).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js";
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import type { GradstepTfjsOptimizer } from "../../../src/adapters/tfjs/index.js";
import type { Optimizer as GradstepOptimizer } from "../../../src/core/optimizer.js";

setWasmPaths(new URL("../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).pathname);

type Flags = Parameters<tf.Environment["setFlags"]>[0];

export interface TestEnv {
  name: string;
  backendName: string;
  flags?: Flags;
  isDataSync?: boolean;
}

export type Constraints = {
  flags?: Flags;
  predicate?: (testEnv: TestEnv) => boolean;
};

export const ALL_ENVS: Constraints = {};

/** tfjs-core runs these tests on tfjs-backend-cpu in Node; the wasm backend (single-threaded build) as well. */
export const TEST_ENVS: TestEnv[] = [
  { name: "cpu", backendName: "cpu", isDataSync: true },
  { name: "wasm", backendName: "wasm", flags: { WASM_HAS_MULTITHREAD_SUPPORT: false }, isDataSync: true },
];

function envSatisfiesConstraints(env: tf.Environment, testEnv: TestEnv, constraints: Constraints): boolean {
  if (constraints.flags != null) {
    for (const flagName in constraints.flags) {
      if (env.get(flagName) !== constraints.flags[flagName]) return false;
    }
  }
  return constraints.predicate == null || constraints.predicate(testEnv);
}

export function describeWithFlags(name: string, constraints: Constraints, tests: (env: TestEnv) => void): void {
  for (const testEnv of TEST_ENVS) {
    tf.env().setFlags(testEnv.flags ?? {});
    tf.env().set("IS_TEST", true);
    if (envSatisfiesConstraints(tf.env(), testEnv, constraints)) {
      executeTests(`${name} ${testEnv.name} ${JSON.stringify(testEnv.flags || {})}`, tests, testEnv);
    }
  }
}

// Each suite starts from a reset engine and each test runs in its own engine scope, as in tfjs: the tests'
// `tf.memory().numTensors` baselines (and the Adam test that compares iterations with one) rely on it.
function executeTests(testName: string, tests: (env: TestEnv) => void, testEnv: TestEnv): void {
  describe(testName, () => {
    beforeAll(async () => {
      tf.engine().reset();
      if (testEnv.flags != null) tf.env().setFlags(testEnv.flags);
      tf.env().set("IS_TEST", true);
      await tf.setBackend(testEnv.backendName);
    });
    beforeEach(() => {
      tf.engine().startScope();
    });
    afterEach(() => {
      tf.engine().endScope();
      tf.engine().disposeVariables();
    });
    afterAll(() => {
      tf.engine().reset();
    });
    tests(testEnv);
  });
}

type TypedArray = Float32Array | Int32Array | Uint8Array;
type Values = TypedArray | number | tf.RecursiveArray<number>;

const TEST_EPSILON_FLOAT32 = 1e-3;
export const TEST_EPSILON_FLOAT16 = 1e-1;

export function expectArraysClose(actual: Values, expected: Values, epsilon?: number): void {
  const e = epsilon ?? testEpsilon();
  expectArraysPredicate(actual, expected, (a, b) => areClose(a, b, e));
}

export function testEpsilon(): number {
  return tf.backend().floatPrecision() === 32 ? TEST_EPSILON_FLOAT32 : TEST_EPSILON_FLOAT16;
}

function isTypedArray(a: Values): a is TypedArray {
  return tf.util.isTypedArray(a);
}

/** tfjs's inferShape (tensor_util_env.ts) for the nested number arrays these tests pass. */
function inferShape(val: tf.RecursiveArray<number>): number[] {
  const shape: number[] = [];
  for (let first: unknown = val; Array.isArray(first); first = first[0]) shape.push(first.length);
  return shape;
}

function expectArraysPredicate(actual: Values, expected: Values, predicate: (a: number, b: number) => boolean): void {
  let checkClassType = true;
  if (isTypedArray(actual) || isTypedArray(expected)) checkClassType = false;
  if (isTypedArray(actual) && isTypedArray(expected)) checkClassType = true;
  if (checkClassType) {
    const aType = actual.constructor.name, bType = expected.constructor.name;
    if (aType !== bType) throw new Error(`Arrays are of different type. Actual: ${aType}. Expected: ${bType}`);
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const actualShape = inferShape(actual), expectedShape = inferShape(expected);
    if (!tf.util.arraysEqual(actualShape, expectedShape)) {
      throw new Error(`Arrays have different shapes. Actual: [${actualShape}]. Expected: [${expectedShape}]`);
    }
  }
  const actualFlat = isTypedArray(actual) ? actual : tf.util.flatten(actual as tf.RecursiveArray<number>);
  const expectedFlat = isTypedArray(expected) ? expected : tf.util.flatten(expected as tf.RecursiveArray<number>);
  if (actualFlat.length !== expectedFlat.length) {
    throw new Error(`Arrays have different lengths actual: ${actualFlat.length} vs expected: ${expectedFlat.length}.\n` +
      `Actual:   ${actualFlat}.\nExpected: ${expectedFlat}.`);
  }
  for (let i = 0; i < expectedFlat.length; ++i) {
    const a = actualFlat[i]!, e = expectedFlat[i]!;
    if (!predicate(a, e)) {
      throw new Error(`Arrays differ: actual[${i}] = ${a}, expected[${i}] = ${e}.\nActual:   ${actualFlat}.\nExpected: ${expectedFlat}.`);
    }
  }
}

export function expectArraysEqual(actual: Values, expected: Values): void {
  const exp = typeof expected === "number" ? [expected] : expected;
  expectArraysPredicate(actual, exp, (a, b) => areClose(a, b, 0));
}

export function expectNumbersClose(a: number, e: number, epsilon?: number): void {
  if (!areClose(a, e, epsilon ?? testEpsilon())) throw new Error(`Numbers differ: actual === ${a}, expected === ${e}`);
}

function areClose(a: number, e: number, epsilon: number): boolean {
  if (!isFinite(a) && !isFinite(e)) return true;
  return !(isNaN(a) || isNaN(e) || Math.abs(a - e) > epsilon);
}

// ---- gradstep's accounting, for tfjs's counts of optimizer state in tensors ------------------------------------

const seen = new WeakMap<GradstepTfjsOptimizer, Set<GradstepOptimizer<object>>>();

/**
 * Bytes of optimizer state that the gradstep optimizers behind `optimizer` hold in Wasm memory (`stateBytes`),
 * where tfjs counts that state in `tf.memory().numTensors`. Every gradstep optimizer seen behind it is counted
 * until it is disposed, so 0 after `optimizer.dispose()` means the state was released, not merely forgotten.
 */
export function gradstepStateBytes(optimizer: GradstepTfjsOptimizer): number {
  const all = seen.get(optimizer) ?? new Set();
  seen.set(optimizer, all);
  for (const o of optimizer.gradstepOptimizers) all.add(o);
  return [...all].reduce((bytes, o) => bytes + (o.disposed ? 0 : o.stateBytes), 0);
}
