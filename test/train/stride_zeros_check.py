#!/usr/bin/env python3
"""Checks hardware.array.skip_stride_zeros on two report.json files of the same training run
(stride-zeros-e2e.sh; docs/accelerator-timing.md "Stride zeros").

  stride_zeros_check.py DENSE SKIP: DENSE ran with the key off, SKIP with it on. The stride zeros of every
  conv layer with stride s > 1 are computed here from the layer shapes alone: the dense array's backward GEMMs
  run over the stride-1 output grid H1 x W1 = (H + 2 pad - k + 1) x (W + 2 pad - k + 1), the skipping array's
  over the Ho x Wo real errors. Checks, for those layers' CONV_BWD_DATA and CONV_WGRAD: the MACs of each run,
  the zero MACs both runs report and their share, that the skipping run has fewer compute cycles by exactly
  the cycles it reports as saved, and that the saved share of cycles is close to 1 - 1/s^2. Every other opcode
  of every layer has the same MACs and compute cycles in both runs. Prints the measured savings.
"""
import json
import sys


def main():
    dense = json.load(open(sys.argv[1]))
    skip = json.load(open(sys.argv[2]))
    assert dense["config"]["hardware"]["array"]["skip_stride_zeros"] is False
    assert skip["config"]["hardware"]["array"]["skip_stride_zeros"] is True
    assert dense["training"]["loss_curve"] == skip["training"]["loss_curve"], "loss curves differ"
    specs = dense["config"]["network"]["layers"]
    net = dense["training"]["network"]["layers"]
    samples = dense["training"]["images"]["trained"] if "images" in dense["training"] else dense["images"]["trained"]
    d_layers = {l["name"]: l for l in dense["training"]["accelerator"]["per_layer"]}
    s_layers = {l["name"]: l for l in skip["training"]["accelerator"]["per_layer"]}
    assert d_layers.keys() == s_layers.keys()
    # Throughput counts the network's work: the same operations whether the zeros are multiplied or skipped,
    # two a MAC of the compact formulation, over more busy time on the dense array.
    d_tp, s_tp = dense["training"]["accelerator"]["throughput"], skip["training"]["accelerator"]["throughput"]
    assert d_tp["ops"] == s_tp["ops"] == 2 * skip["training"]["accelerator"]["macs"], (d_tp, s_tp)
    assert d_tp["gops"] < s_tp["gops"], (d_tp, s_tp)
    if "energy" in dense:  # the same work for less energy
        assert dense["energy"]["tops_per_watt"] < skip["energy"]["tops_per_watt"]
    checks = strided_ops = 0
    total_zero_macs = 0
    for i, layer in enumerate(net):
        name = layer["name"]
        if name not in d_layers:
            continue
        spec = specs[i]
        stride = spec.get("stride", 1) if layer["type"] == "conv" else 1
        for op, d in d_layers[name]["opcodes"].items():
            s = s_layers[name]["opcodes"][op]
            if stride == 1 or op not in ("CONV_BWD_DATA", "CONV_WGRAD"):
                assert d["macs"] == s["macs"], (name, op, d["macs"], s["macs"])
                assert d["compute_cycles"] == s["compute_cycles"], (name, op)
                assert d["stride_zeros"]["macs"] == 0 and s["stride_zeros"]["macs"] == 0, (name, op)
                checks += 1
                continue
            ci, h, w = layer["in"]
            co, oh, ow = layer["out"]
            k, pad = spec["kernel"], spec.get("pad", 0)
            h1, w1 = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            real, dilated = oh * ow, h1 * w1
            assert d["descriptors"] * dense["config"]["training"]["batch"] == samples, (name, op)
            # backward-data: (Ci k k) x positions x Co; weight gradient: Co x (Ci k k) x positions.
            per_position = ci * k * k * co
            want_dense, want_skip = per_position * dilated * samples, per_position * real * samples
            zeros = want_dense - want_skip
            assert d["macs"] == want_dense, (name, op, d["macs"], want_dense)
            assert s["macs"] == want_skip, (name, op, s["macs"], want_skip)
            for r, skipped in ((d, False), (s, True)):
                z = r["stride_zeros"]
                assert z["skipped"] is skipped, (name, op, z)
                assert z["macs"] == zeros, (name, op, z["macs"], zeros)
                assert abs(z["macs_fraction"] - (1 - real / dilated)) < 1e-12, (name, op, z)
            saved = s["stride_zeros"]["compute_cycles"]
            assert saved == d["stride_zeros"]["compute_cycles"], (name, op)
            assert saved > 0 and d["compute_cycles"] - s["compute_cycles"] == saved, (name, op, saved)
            share = saved / d["compute_cycles"]
            assert abs(s["stride_zeros"]["compute_cycles_fraction"] - share) < 1e-12
            ideal = 1 - 1 / stride**2
            print(f"{name} (stride {stride}) {op}: MACs {want_dense} -> {want_skip} (saved {zeros}, "
                  f"{100 * zeros / want_dense:.1f}%); compute cycles {d['compute_cycles']} -> {s['compute_cycles']} "
                  f"(saved {saved}, {100 * share:.1f}%); 1 - 1/s^2 = {100 * ideal:.1f}%")
            assert abs(share - ideal) < 0.05, (name, op, share, ideal)
            total_zero_macs += zeros
            strided_ops += 1
            checks += 1
    assert strided_ops == 4, f"{strided_ops} strided backward opcodes, expected 4 (conv2 and conv3)"
    for r in (dense, skip):
        assert r["training"]["accelerator"]["stride_zeros"]["macs"] == total_zero_macs
    assert dense["training"]["accelerator"]["macs"] - skip["training"]["accelerator"]["macs"] == total_zero_macs
    dc, sc = dense["training"]["accelerator"]["compute_cycles"], skip["training"]["accelerator"]["compute_cycles"]
    print(f"total: MACs {dense['training']['accelerator']['macs']} -> {skip['training']['accelerator']['macs']}, "
          f"compute cycles {dc} -> {sc}; {checks} opcodes checked")
    assert checks > strided_ops


if __name__ == "__main__":
    main()
