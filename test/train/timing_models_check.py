#!/usr/bin/env python3
"""Checks of trainvp's timing models on two report.json files of the same training run (timing-models-e2e.sh).

  scalesim NATIVE SCALESIM DATAFLOW: every GEMM opcode's compute cycles in the scalesim run equal its
      descriptors times SCALE-Sim v2's cycles for the layer's GEMM, computed here from the published formula
      (docs/accelerator-timing.md "SCALE-Sim v2"), with the tile GEMMs of the phase mapping; every other
      opcode's cycles are the native run's.
  same_accel NATIVE OTHER: the accelerator sections and the loss curves are equal (the RTL array's run).
Single-tile descriptors at batch 1 are assumed (the scenario is built so).
"""
import json
import math
import sys


def scalesim_cycles(m, n, k, rows, cols, dataflow):
    # TrainVP's C[M][N] = A[M][K] B[K][N] in SCALE-Sim's GEMM mode with A as its filter: (N, M, K).
    sm, sn, sk = n, m, k
    if dataflow == "os":
        sr, sc, t, per_fold = sm, sn, sk, rows + cols + sk - 2
    elif dataflow == "ws":
        sr, sc, t, per_fold = sk, sn, sm, 2 * rows + cols + sm - 2
    else:
        sr, sc, t, per_fold = sk, sm, sn, 2 * rows + cols + sn - 2
    return math.ceil(sr / rows) * math.ceil(sc / cols) * per_fold - 1


def tile_gemm(layer, opcode, batch):
    """(M, N, K) of a whole-layer tile as the accelerator's phase mapping gives it (tile_plan.cpp)."""
    c, h, w = layer["in"]
    oc, oh, ow = layer["out"]
    if opcode.startswith("CONV"):
        k = layer["kernel"]
        p = oh * ow * batch
        # The backward passes of a dense array run over the zero-dilated error map: the stride-1 output grid
        # (docs/accelerator-timing.md "Stride zeros").
        pad = layer.get("pad", 0)
        pd = (h + 2 * pad - k + 1) * (w + 2 * pad - k + 1) * batch
        patch = c * k * k
        return {"CONV_FWD": (oc, p, patch), "CONV_BWD_DATA": (patch, pd, oc), "CONV_WGRAD": (oc, patch, pd)}[opcode]
    fin, fout = c * h * w, oc * oh * ow
    return {"FC_FWD": (fout, batch, fin), "FC_BWD_DATA": (fin, batch, fout), "FC_WGRAD": (fout, fin, batch)}[opcode]


def layers_of(report):
    return {l["name"]: l for l in report["training"]["accelerator"]["per_layer"]}


def main():
    mode = sys.argv[1]
    a = json.load(open(sys.argv[2]))
    b = json.load(open(sys.argv[3]))
    checks = 0
    if mode == "scalesim":
        dataflow = sys.argv[4]
        cfg = b["config"]
        rows, cols = cfg["hardware"]["array"]["rows"], cfg["hardware"]["array"]["cols"]
        assert cfg["hardware"]["timing"]["model"] == "scalesim", cfg["hardware"]["timing"]
        specs = {}
        for spec in b["config"]["network"]["layers"]:
            specs[len(specs)] = spec
        net = b["training"]["network"]["layers"]
        native, scalesim = layers_of(a), layers_of(b)
        for i, layer in enumerate(net):
            if layer["type"] not in ("conv", "fc"):
                continue
            shape = dict(layer)
            shape["kernel"] = specs[i].get("kernel", 1)
            shape["pad"] = specs[i].get("pad", 0)
            for op, fig in scalesim[layer["name"]]["opcodes"].items():
                if op.startswith(("CONV", "FC")):
                    m, n, k = tile_gemm(shape, op, 1)
                    want = fig["descriptors"] * scalesim_cycles(m, n, k, rows, cols, dataflow)
                    print(f"{layer['name']} {op}: GEMM {m} x {n} x {k}, {fig['descriptors']} descriptors: "
                          f"scalesim {fig['compute_cycles']}, formula {want}, native "
                          f"{native[layer['name']]['opcodes'][op]['compute_cycles']}")
                    assert fig["compute_cycles"] == want, (layer["name"], op, fig["compute_cycles"], want)
                else:
                    assert fig == native[layer["name"]]["opcodes"][op], (layer["name"], op)
                checks += 1
    elif mode == "same_accel":
        assert a["training"]["accelerator"] == b["training"]["accelerator"], "accelerator statistics differ"
        assert a["accelerator"] == b["accelerator"], "accelerator report differs"
        assert a["training"]["loss_curve"] == b["training"]["loss_curve"], "loss curves differ"
        assert a["simulated_time_s"] == b["simulated_time_s"], "simulated time differs"
        checks = len(layers_of(a))
    else:
        sys.exit(f"unknown mode {mode}")
    if checks == 0:
        sys.exit("FAIL: nothing checked")
    print(f"{checks} checks passed")


if __name__ == "__main__":
    main()
