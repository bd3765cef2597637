#!/usr/bin/python3
"""Write the ONNX models that onnx/'s tests import and compare with ONNX Runtime.

usage: /usr/bin/python3 scripts/onnx-fixtures.py OUTDIR [NAME ...]

Needs Debian's python3-torch, python3-torchvision and python3-onnx; downloads
nothing (every weight is random, from fixed seeds). Writes OUTDIR/<name>.onnx:

  seed-tutorial    the seed-tutorial CNN at 32x32 as PyTorch writes it (NCHW,
                   Conv/Relu/MaxPool, Flatten of C,H,W features, Gemm, Sigmoid), opset 13
  seed-exercise    seed-exercise at 32x32 (with Dropout), opset 13
  mobilenet_v2     torchvision mobilenet_v2(width_mult=0.35) at 64x64, 3 classes, +Softmax, opset 11
                   (depthwise Conv, Clip as ReLU6, residual Add, stride-2 symmetric padding)
  resnet18         torchvision resnet18 at 64x64, 3 classes, +Softmax, opset 17
                   (7x7/2 conv, MaxPool(3, 2, pad 1), residual Adds with downsampling 1x1 convs)
  seed-tutorial-qdq, seed-exercise-qdq
                   the seed models quantised in QDQ form as ONNX Runtime writes it (int8 and uint8
                   activations; see qdq_graph)
  seed-tutorial-qop
                   seed-tutorial in QOperator form (QLinearConv, QLinearMatMul), int8
  keras            a Keras-style NHWC graph written with onnx.helper, opset 15: Transpose in,
                   Conv auto_pad SAME_UPPER, BatchNormalization, Relu, Pad+Conv, depthwise Conv,
                   Clip, Add, AveragePool, Identity, Transpose out, Reshape, MatMul+Add, Softmax

BatchNorm statistics are randomised (resnet18) or measured on random images (mobilenet_v2) so
that folding them matters.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
import torch.nn as nn
import torchvision


def seed_tutorial(size):
    s = size // 8
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * s * s, 6), nn.ReLU(), nn.Linear(6, 1), nn.Sigmoid())


def seed_exercise(size):
    s = size // 8
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(),
        nn.Conv2d(128, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * s * s, 6), nn.ReLU(), nn.Dropout(0.2), nn.Linear(6, 1), nn.Sigmoid())


def randomize_bn(m, g):
    for x in m.modules():
        if isinstance(x, nn.BatchNorm2d):
            c = x.num_features
            x.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            x.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            x.weight.data.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
            x.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


def calibrate_bn(m, size):
    """Set BatchNorm statistics from random images (else ReLU6 saturates and every image gives the same output)."""
    for x in m.modules():
        if isinstance(x, nn.BatchNorm2d):
            x.momentum = None
            x.reset_running_stats()
    m.train()
    with torch.no_grad():
        m(torch.rand(16, 3, size, size) * 4 - 2)


def export(m, size, path, opset, fold=True):
    m.eval()
    x = torch.rand(1, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(m, x, path, opset_version=opset, input_names=["input"], output_names=["prob"],
                          do_constant_folding=fold)
    onnx.checker.check_model(onnx.load(path))


def torch_model(name, path):
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(2)
    if name == "seed-tutorial":
        export(seed_tutorial(32), 32, path, 13)
    elif name == "seed-exercise":
        export(seed_exercise(32), 32, path, 13)
    elif name == "mobilenet_v2":
        m = torchvision.models.mobilenet_v2(width_mult=0.35, num_classes=3)
        calibrate_bn(m, 64)
        export(nn.Sequential(m, nn.Softmax(dim=1)), 64, path, 11)
    elif name == "resnet18":
        m = torchvision.models.resnet18(num_classes=3)
        randomize_bn(m, g)
        export(nn.Sequential(m, nn.Softmax(dim=1)), 64, path, 17)
    else:
        raise SystemExit("unknown model " + name)


def keras_graph(path):
    """A graph as tf2onnx writes a Keras model: NHWC input, NCHW inside."""
    rng = np.random.default_rng(3)
    inits, nodes = [], []

    def w(name, *shape, scale=0.3):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def node(op, ins, out, **kw):
        nodes.append(helper.make_node(op, ins, [out], name=out, **kw))
        return out

    x = node("Transpose", ["input"], "to_nchw", perm=[0, 3, 1, 2])
    x = node("Conv", [x, w("c1.w", 16, 3, 3, 3), w("c1.b", 16)], "conv1", auto_pad="SAME_UPPER", strides=[2, 2])
    c = 16
    inits += [numpy_helper.from_array((rng.random(c) + 0.5).astype(np.float32), "bn.g"),
              numpy_helper.from_array((rng.standard_normal(c) * 0.1).astype(np.float32), "bn.b"),
              numpy_helper.from_array((rng.standard_normal(c) * 0.1).astype(np.float32), "bn.m"),
              numpy_helper.from_array((rng.random(c) + 0.5).astype(np.float32), "bn.v")]
    x = node("BatchNormalization", [x, "bn.g", "bn.b", "bn.m", "bn.v"], "bn1", epsilon=1e-3)
    x = node("Relu", [x], "relu1")
    inits.append(numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"))
    p = node("Pad", [x, "pads"], "pad2", mode="constant")
    y = node("Conv", [p, w("c2.w", 16, 16, 3, 3, scale=0.1)], "conv2")
    y = node("Clip", [y, "zero", "six"], "relu6_2")
    inits += [numpy_helper.from_array(np.array(0, np.float32), "zero"), numpy_helper.from_array(np.array(6, np.float32), "six")]
    z = node("Conv", [y, w("dw.w", 16, 1, 3, 3), w("dw.b", 16)], "dw3", group=16, pads=[1, 1, 1, 1])
    z = node("Relu", [z], "relu3")
    s = node("Add", [x, z], "add4")
    s = node("Identity", [s], "identity")
    s = node("AveragePool", [s], "avgpool5", kernel_shape=[2, 2], strides=[2, 2])
    s = node("Transpose", [s], "to_nhwc", perm=[0, 2, 3, 1])
    inits.append(numpy_helper.from_array(np.array([-1, 8 * 8 * 16], np.int64), "shape"))
    s = node("Reshape", [s, "shape"], "flatten")
    s = node("MatMul", [s, w("fc.w", 8 * 8 * 16, 5, scale=0.05)], "dense")
    s = node("Add", [s, w("fc.b", 5)], "dense_bias")
    nodes.append(helper.make_node("Softmax", [s], ["prob"], name="softmax", axis=-1))
    g = helper.make_graph(nodes, "keras_nhwc",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 32, 32, 3])],
                          [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 5])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)], producer_name="onnx-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


def qdq_graph(name, act, path, qop=False):
    """The seed model in QDQ form, as ONNX Runtime's quantize_static writes it: int8 weights symmetric per
    output channel behind DequantizeLinear, int32 biases, activations asymmetric per tensor (int8 or uint8)
    with QuantizeLinear->DequantizeLinear where a Conv, Gemm, MaxPool or Flatten reads them (pool and
    flatten outputs keep their input's parameters), Relu before the Q node, the last Gemm's output in float.
    Activation ranges: min/max over 64 random images.
    qop: the operator form instead (QLinearConv, QLinearMatMul with bias-free Linear layers, MaxPool and
    Flatten on int8 tensors, the last output quantised too)."""
    torch.manual_seed(1)
    m = {"seed-tutorial-qdq": seed_tutorial, "seed-exercise-qdq": seed_exercise, "seed-tutorial-qop": seed_tutorial}[name](32).eval()
    for mod in m:  # Keras' initialisation (PyTorch's gives nearly the same logit for every image)
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
            nn.init.uniform_(mod.bias, -0.05, 0.05)
            if qop and isinstance(mod, nn.Linear):
                nn.init.zeros_(mod.bias)
    with torch.no_grad():  # centre the logit on images of random colour blocks, so both classes occur
        blocks = nn.functional.interpolate(torch.rand(64, 3, 4, 4), size=32, mode="bilinear", align_corners=False)
        if not qop:
            m[-2].bias -= m(blocks).logit().median()
    qmin, qmax, np_t, tp = (-128, 127, np.int8, TensorProto.INT8) if act == "int8" else (0, 255, np.uint8, TensorProto.UINT8)
    inits, nodes = [], []

    def init(nm, arr):
        inits.append(numpy_helper.from_array(arr, nm))
        return nm

    def quantize_params(t, lo, hi):
        lo, hi = min(0.0, lo), max(0.0, hi)
        scale = np.float32((hi - lo) / (qmax - qmin))
        zp = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
        return init(t + "_scale", np.array(scale, np.float32)), init(t + "_zp", np.array(zp, np_t))

    def scale_of(s):
        return float(numpy_helper.to_array(next(i for i in inits if i.name == s)))

    def quantize_only(t, lo, hi):
        s, z = quantize_params(t, lo, hi)
        nodes.append(helper.make_node("QuantizeLinear", [t, s, z], [t + "_q"], name=t + "_Q"))
        return t + "_q", (scale_of(s), s, z)

    def qdq(t, lo, hi):
        q, params = quantize_only(t, lo, hi)
        nodes.append(helper.make_node("DequantizeLinear", [q, *params[1:]], [t + "_dq"], name=t + "_DQ"))
        return t + "_dq", params

    def quantized_weights(t, w, b, s_in):
        red = tuple(range(1, w.ndim))
        s = np.abs(w).max(axis=red) / 127.0
        s = np.where(s == 0, 1.0, s).astype(np.float32)
        shp = [-1] + [1] * (w.ndim - 1)
        wq = np.clip(np.round(w / s.reshape(shp)), -127, 127).astype(np.int8)
        bs = (np.float64(s_in) * s.astype(np.float64)).astype(np.float32)
        bq = np.round(b.astype(np.float64) / bs).astype(np.int32)
        return (init(t + "_wq", wq), init(t + "_ws", s), init(t + "_wz", np.zeros_like(wq, shape=s.shape)),
                init(t + "_bq", bq))

    def weights(t, w, b, s_in):
        wq, ws, wz, bq = quantized_weights(t, w, b, s_in)
        nodes.append(helper.make_node("DequantizeLinear", [wq, ws, wz], [t + "_w"], name=t + "_wDQ", axis=0))
        bs = init(t + "_bs", (np.float64(s_in) * numpy_helper.to_array(inits[-3]).astype(np.float64)).astype(np.float32))
        nodes.append(helper.make_node("DequantizeLinear", [bq, bs, init(t + "_bz", np.zeros_like(numpy_helper.to_array(inits[-2])))],
                                      [t + "_b"], name=t + "_bDQ", axis=0))
        return t + "_w", t + "_b"

    x = torch.cat([torch.rand(32, 3, 32, 32), blocks[:32]])
    if qop:
        cur, params = quantize_only("input", 0.0, 1.0)
    else:
        cur, params = qdq("input", 0.0, 1.0)
    mods = list(m)
    i = 0
    with torch.no_grad():
        while i < len(mods):
            mod, t = mods[i], "n%d" % i
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                relu = i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU)
                last = not any(isinstance(n, (nn.Conv2d, nn.Linear)) for n in mods[i + 1:])
                y = mod(x)
                if relu:
                    y, i = torch.relu(y), i + 1
                if qop:
                    ys, yz = quantize_params(t, float(y.min()), float(y.max()))
                    wq, ws, wz, bq = quantized_weights(t, mod.weight.numpy(), mod.bias.numpy(), params[0])
                    if isinstance(mod, nn.Conv2d):
                        nodes.append(helper.make_node("QLinearConv", [cur, *params[1:], wq, ws, wz, ys, yz, bq], [t + "_q"], name=t,
                                                      pads=[mod.padding[0]] * 4))
                    else:  # QLinearMatMul takes [K, N] weights, per column, and no bias
                        k = inits.pop(-4)
                        inits.insert(-3, numpy_helper.from_array(numpy_helper.to_array(k).T.copy(), k.name))
                        nodes.append(helper.make_node("QLinearMatMul", [cur, *params[1:], wq, ws, wz, ys, yz], [t + "_q"], name=t))
                    cur, params = t + "_q", (scale_of(ys), ys, yz)
                    if last:
                        nodes.append(helper.make_node("DequantizeLinear", [cur, ys, yz], [t + "_dq"], name=t + "_DQ"))
                        cur = t + "_dq"
                else:
                    w, b = weights(t, mod.weight.numpy(), mod.bias.numpy(), params[0])
                    if isinstance(mod, nn.Conv2d):
                        nodes.append(helper.make_node("Conv", [cur, w, b], [t], name=t, pads=[mod.padding[0]] * 4))
                    else:
                        nodes.append(helper.make_node("Gemm", [cur, w, b], [t], name=t, transB=1))
                    if relu:
                        nodes.append(helper.make_node("Relu", [t], [t + "_relu"], name=t + "_relu"))
                        t = t + "_relu"
                    if last:
                        cur = t
                    else:
                        cur, params = qdq(t, float(y.min()), float(y.max()))
                x = y
            elif isinstance(mod, (nn.MaxPool2d, nn.Flatten)):
                out = t + "_q" if qop else t
                if isinstance(mod, nn.MaxPool2d):
                    nodes.append(helper.make_node("MaxPool", [cur], [out], name=t, kernel_shape=[2, 2], strides=[2, 2]))
                else:
                    nodes.append(helper.make_node("Flatten", [cur], [out], name=t))
                x = mod(x)
                cur = out
                if not qop:  # the same parameters as the input
                    s, z = params[1:]
                    nodes.append(helper.make_node("QuantizeLinear", [t, s, z], [t + "_q"], name=t + "_Q"))
                    nodes.append(helper.make_node("DequantizeLinear", [t + "_q", s, z], [t + "_dq"], name=t + "_DQ"))
                    cur = t + "_dq"
            elif isinstance(mod, nn.Sigmoid):
                nodes.append(helper.make_node("Sigmoid", [cur], ["prob"], name="sigmoid"))
            elif not isinstance(mod, nn.Dropout):
                raise SystemExit("qdq: unexpected %s" % mod)
            i += 1
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1])], inits)
    mo = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="onnx-fixtures")
    mo.ir_version = 7
    onnx.checker.check_model(mo)
    onnx.save(mo, path)


ALL = ["seed-tutorial", "seed-exercise", "mobilenet_v2", "resnet18", "keras", "seed-tutorial-qdq", "seed-exercise-qdq", "seed-tutorial-qop"]


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or ALL:
        path = os.path.join(out, name + ".onnx")
        if name == "keras":
            keras_graph(path)
        elif name == "seed-tutorial-qdq":
            qdq_graph(name, "int8", path)
        elif name == "seed-exercise-qdq":
            qdq_graph(name, "uint8", path)
        elif name == "seed-tutorial-qop":
            qdq_graph(name, "int8", path, qop=True)
        else:
            torch_model(name, path)
        print(path, os.path.getsize(path), flush=True)


if __name__ == "__main__":
    main()
