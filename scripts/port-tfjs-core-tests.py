"""Writes test/adapters/tfjs-core/*_test.ts: tfjs-core's optimizer unit tests, ported to run on gradstep/tfjs.

    git clone https://github.com/tensorflow/tfjs /tmp/tfjs && python3 scripts/port-tfjs-core-tests.py /tmp/tfjs

reads `tfjs-core/src/optimizers/*_test.ts` at tag tfjs-v4.22.0 (the tfjs-core the adapter is tested with) and
changes exactly this, so that "unmodified except the optimizer construction" can be checked by running it again:
- imports: tfjs-core's package for `../index`, ./shim.js for `../jasmine_util` and `../test_util`, vitest's
  `it`/`expect`, gradstep/tfjs's `train` and classes;
- construction: `tf.train.<name>(...)` -> `train.<name>(...)`, `tf.<Name>Optimizer` and `./sgd_optimizer`'s
  `SGDOptimizer` -> gradstep/tfjs's class of that name;
- the counts of tensors that include optimizer state (tfjs keeps it in tensors, gradstep in Wasm memory): the
  cost is the only new tensor, and gradstep's own `stateBytes` must hold exactly those accumulators (or be 0
  after dispose);
- Adagrad's "Continue training after loading weights" builds the Adagrad it names (tfjs's builds an Adam).
Each change in a test body carries a comment starting "gradstep:".
"""
import pathlib
import re
import subprocess
import sys

TAG = "tfjs-v4.22.0"
ADAPTER = "../../../src/adapters/tfjs/index.js"
OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "adapters" / "tfjs-core"


def more_tensors(m: re.Match) -> str:
    """`numTensors + k` after the first step: the cost and k - 1 accumulators, which gradstep holds in Wasm."""
    indent, n = m.group(1), int(m.group(2)) - 1
    state = ("the accumulator lives in Wasm memory, not in a tfjs tensor" if n == 1 else
             f"the {n} accumulators live in Wasm memory, not in tfjs tensors")
    held = "one f32 buffer" if n == 1 else f"{n} f32 buffers"
    size = "x.size * 4" if n == 1 else f"{n} * x.size * 4"
    return (f"{indent}// gradstep: {state}: the cost is the only additional\n"
            f"{indent}// tensor, and gradstep holds {held} of x's size (gradstep's own accounting).\n"
            f"{indent}expect(tf.memory().numTensors).toBe(numTensors + 1);\n"
            f"{indent}expect(gradstepStateBytes(optimizer)).toBe({size});")


def fewer_tensors(m: re.Match) -> str:
    """Momentum's `numTensors - 2` after dispose(): tfjs frees its `m` scalar and the velocity."""
    indent = m.group(1)
    return (f"{indent}// gradstep: neither is a tfjs tensor (momentum is a number, the velocity a buffer in Wasm memory):\n"
            f"{indent}// dispose() frees no tensor, and releases the velocity's memory (gradstep's accounting).\n"
            f"{indent}expect(tf.memory().numTensors).toBe(numTensors);\n"
            f"{indent}expect(gradstepStateBytes(optimizer)).toBe(0);")


ADAGRAD_AS_ADAM = "    const optimizer2 = train.adam(learningRate, initialAccumulatorValue);"
ADAGRAD = """    // gradstep: tfjs builds an Adam here (`tf.train.adam(learningRate, initialAccumulatorValue)`) and gives it
    // Adagrad's weights. tfjs's Adam.setWeights splits any list in halves (here: no first moment, and Adagrad's
    // accumulator as x's second moment), and the checks below hold whatever it does: the cost is computed
    // before the update, and iterations comes from `iter`. gradstep/tfjs refuses weights laid out for another
    // optimizer with a clear error (test/adapters/tfjs.test.ts checks it), so the test builds the Adagrad it
    // names.
    const optimizer2 = train.adagrad(learningRate, initialAccumulatorValue);"""


def port(name: str, source: str, commit: str) -> str:
    end = source.index("*/\n") + 3
    license_header, body = source[:end], source[end:]
    classes = sorted(set(re.findall(r"\btf\.([A-Za-z]*Optimizer)\b", body)))
    if "from './sgd_optimizer';" in body:
        classes.append("SGDOptimizer")
    adapter = classes + (["train"] if "tf.train." in body else [])
    body = body.replace("import {SGDOptimizer} from './sgd_optimizer';\n", "")
    body = body.replace("import * as tf from '../index';",
                        "import * as tf from '@tensorflow/tfjs-core';\nimport {expect, it} from 'vitest';\n"
                        f"import {{{', '.join(adapter)}}} from '{ADAPTER}';")
    body = body.replace("from '../jasmine_util';", "from './shim.js';").replace("from '../test_util';", "from './shim.js';")
    body = body.replace("from '../tensor';", "from '@tensorflow/tfjs-core';")
    body = body.replace("import {Optimizer} from './optimizer';", "import {Optimizer} from '@tensorflow/tfjs-core';")
    body = body.replace("tf.train.", "train.")
    for c in classes:
        body = re.sub(rf"\btf\.{c}\b", c, body)
    body = re.sub(r"( +)expect\(tf\.memory\(\)\.numTensors\)\.toBe\(numTensors \+ ([2-9])\);", more_tensors, body)
    body = re.sub(r"( +)expect\(tf\.memory\(\)\.numTensors\)\.toBe\(numTensors - 2\);", fewer_tensors, body)
    body = body.replace(ADAGRAD_AS_ADAM, ADAGRAD)
    if "gradstepStateBytes" in body:
        body = body.replace("import {expectArraysClose} from './shim.js';",
                            "import {expectArraysClose, gradstepStateBytes} from './shim.js';")
    note = (f"// Ported from tensorflow/tfjs, tfjs-core/src/optimizers/{name},\n"
            f"// tag {TAG} (commit {commit}), Apache-2.0\n"
            "// (the license header above is tfjs's), by scripts/port-tfjs-core-tests.py. The tests run on gradstep/tfjs:\n"
            "// its factories and classes build the optimizers (`train.*` for `tf.train.*`, gradstep/tfjs's\n"
            "// `<Name>Optimizer` for tfjs's); the imports point at tfjs-core's package, ./shim.js (tfjs-core's test\n"
            "// utilities) and vitest. Nothing else differs, except where a comment starting \"gradstep:\" says why.\n")
    return license_header + note + body


def main() -> None:
    repo = sys.argv[1]
    git = lambda *a: subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True, text=True).stdout
    commit = git("rev-parse", f"{TAG}^{{commit}}").strip()
    files = [f for f in git("ls-tree", "--name-only", f"{TAG}:tfjs-core/src/optimizers/").split() if f.endswith("_test.ts")]
    for name in files:
        (OUT / name).write_text(port(name, git("show", f"{TAG}:tfjs-core/src/optimizers/{name}"), commit))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
