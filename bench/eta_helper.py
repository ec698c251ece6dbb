#!/usr/bin/env python3
"""Helpers of bench/eta.sh (standard library, plus PyTorch for the `torch` command only).

  eta_helper.py data DIR TRAIN TEST         synthetic CIFAR-10 binary files in DIR (data_batch_1..5.bin with
                                            TRAIN records in all, test_batch.bin with TEST): deterministic
  eta_helper.py macs CONFIG                 MACs of the network of a `trainvp ... --dump-config` file
  eta_helper.py torch CONFIG BATCH STEPS RUNS
                                            the same network in PyTorch, fp32, one thread: RUNS timings of
                                            STEPS SGD steps (after one warm-up step); images/s per run

MACs are counted as PyTorch profilers (thop, ptflops, fvcore) count them: one per multiply-accumulate of
conv and fc layers (conv: Co*Ho*Wo*Ci*K*K, fc: in*out), nothing for ReLU, pooling, add or normalization. A
training step does each conv/fc's forward, weight gradient and backward-data GEMMs, each as many MACs as the
forward, except that no layer computes an error for the network input (PyTorch does not either).
"""
import random
import sys
import time


def write_cifar(directory, train, test):
    import os
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(20231010)

    def records(n):
        out = bytearray()
        for i in range(n):
            out.append(i % 10)
            out += rng.randbytes(3072)
        return bytes(out)

    per_batch = [train // 5 + (1 if i < train % 5 else 0) for i in range(5)]
    if min(per_batch) == 0 or test == 0:
        sys.exit("eta_helper.py data: need at least 5 training and 1 test record")
    for i, n in enumerate(per_batch):
        with open(os.path.join(directory, "data_batch_%d.bin" % (i + 1)), "wb") as f:
            f.write(records(n))
    with open(os.path.join(directory, "test_batch.bin"), "wb") as f:
        f.write(records(test))


def load_config(path):
    import yaml
    with open(path) as f:
        text = f.read()
    # --dump-config may print log lines before the document; start at the first top-level key.
    return yaml.safe_load(text)


def layers_of(cfg):
    """The network as a list of dicts with 'type', 'name', 'inputs' (names; 'input' = the network input),
    'ins' and 'out_shape' shapes (c, h, w), in topological order, as kern::Network resolves it."""
    net = cfg["network"]
    inp = net.get("input", {})
    shape_in = (int(inp.get("channels", 1)), int(inp.get("rows", 28)), int(inp.get("cols", 28)))
    counts, shapes, out = {}, {"input": shape_in}, []
    prev = "input"
    for spec in net["layers"]:
        kind = spec["type"]
        counts[kind] = counts.get(kind, 0) + 1
        name = spec.get("name") or "%s%d" % (kind, counts[kind])
        inputs = spec.get("inputs") or [prev]
        ins = [shapes[i] for i in inputs]
        c, h, w = ins[0]
        if kind == "conv":
            k, s, p = int(spec["kernel"]), int(spec.get("stride", 1)), int(spec.get("pad", 0))
            o = (int(spec["out_channels"]), (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
        elif kind == "fc":
            o = (int(spec["out"]), 1, 1)
        elif kind in ("maxpool", "avgpool"):
            k = int(spec.get("size", 2))
            s = int(spec.get("stride", 0)) or k
            o = (c, (h - k) // s + 1, (w - k) // s + 1)
        elif kind == "global_avgpool":
            o = (c, 1, 1)
        elif kind == "concat":
            o = (sum(x[0] for x in ins), h, w)
        else:  # relu, add, norm
            o = (c, h, w)
        d = dict(spec)
        d.update(name=name, inputs=inputs, ins=ins, out_shape=o)
        out.append(d)
        shapes[name] = o
        prev = name
    return shape_in, out


def layer_macs(L):
    c, h, w = L["ins"][0]
    co, ho, wo = L["out_shape"]
    if L["type"] == "conv":
        k = int(L["kernel"])
        return co * ho * wo * c * k * k
    if L["type"] == "fc":
        return co * c * h * w
    return 0


def count_macs(cfg):
    _, layers = layers_of(cfg)
    fwd = sum(layer_macs(L) for L in layers)
    # Layers fed by the network input alone compute no backward-data pass.
    no_bwd = sum(layer_macs(L) for L in layers if L["inputs"] == ["input"])
    step = 3 * fwd - no_bwd
    return fwd, step, layers


def cmd_macs(path):
    fwd, step, layers = count_macs(load_config(path))
    convs = sum(1 for L in layers if L["type"] == "conv")
    print("%d %d %d %d" % (fwd, step, convs, len(layers)))


def build_torch(cfg):
    import torch
    from torch import nn
    _, layers = layers_of(cfg)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ops = nn.ModuleDict()
            for L in layers:
                c = L["ins"][0][0]
                t = L["type"]
                if t == "conv":
                    m = nn.Conv2d(c, int(L["out_channels"]), int(L["kernel"]), int(L.get("stride", 1)),
                                  int(L.get("pad", 0)), bias=bool(L.get("bias", True)))
                elif t == "fc":
                    ci, h, w = L["ins"][0]
                    m = nn.Linear(ci * h * w, int(L["out"]), bias=bool(L.get("bias", True)))
                elif t == "relu":
                    m = nn.ReLU()
                elif t == "maxpool":
                    m = nn.MaxPool2d(int(L.get("size", 2)), int(L.get("stride", 0)) or None)
                elif t == "avgpool":
                    m = nn.AvgPool2d(int(L.get("size", 2)), int(L.get("stride", 0)) or None)
                elif t == "global_avgpool":
                    m = nn.AdaptiveAvgPool2d(1)
                elif t == "norm":
                    m = nn.GroupNorm(int(L.get("groups", 1)), c)
                elif t in ("add", "concat"):
                    m = nn.Identity()
                else:
                    sys.exit("eta_helper.py: no PyTorch equivalent for layer type '%s'" % t)
                self.ops[L["name"]] = m

        def forward(self, x):
            vals = {"input": x}
            for L in layers:
                ins = [vals[i] for i in L["inputs"]]
                t = L["type"]
                if t == "add":
                    y = ins[0]
                    for other in ins[1:]:
                        y = y + other
                elif t == "concat":
                    y = torch.cat(ins, dim=1)
                elif t == "fc":
                    y = self.ops[L["name"]](ins[0].flatten(1))
                else:
                    y = self.ops[L["name"]](ins[0])
                vals[L["name"]] = y
            return vals[layers[-1]["name"]]

    return Net()


def cmd_torch(path, batch, steps, runs):
    try:
        import torch
    except ImportError:
        print("SKIP")
        return
    torch.set_num_threads(1)
    torch.manual_seed(1)
    cfg = load_config(path)
    tc = cfg.get("training", {})
    net = build_torch(cfg)
    shape_in, _ = layers_of(cfg)
    # The profilers' count on the module itself, as a check of count_macs().
    hooked = [0]

    def hook(m, inp, out):
        if isinstance(m, torch.nn.Conv2d):
            hooked[0] += out.numel() // out.shape[0] * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.Linear):
            hooked[0] += m.in_features * m.out_features
    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net(torch.zeros(1, *shape_in))
    for h in handles:
        h.remove()
    opt = torch.optim.SGD(net.parameters(), lr=float(tc.get("lr", 0.01)), momentum=float(tc.get("momentum", 0.0)),
                          weight_decay=float(tc.get("weight_decay", 0.0)))
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(7)
    x = torch.rand(batch, *shape_in, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up: allocations, kernel selection
    rates = []
    for _ in range(runs):
        t0 = time.process_time()
        for _ in range(steps):
            step()
        rates.append(batch * steps / (time.process_time() - t0))
    print("torch %s %d %s" % (torch.__version__, hooked[0], " ".join("%.2f" % r for r in rates)))


def main(argv):
    if len(argv) >= 2 and argv[1] == "data" and len(argv) == 5:
        write_cifar(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 3 and argv[1] == "macs":
        cmd_macs(argv[2])
    elif len(argv) == 6 and argv[1] == "torch":
        cmd_torch(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
