"""Times sbi's SBC + TARP at the reference's size (spec A.4.1: 200 simulations x 1000
posterior samples) on the same pairs galchem uses, for the speed comparison of
scripts/bench/calibration.sh.

  python scripts/bench/sbi_calibration.py pairs.csv test.csv [--epochs 20] [--out sbi_timing.json]

pairs.csv: training pairs (the six parameters, then the eight abundances with noise), written
by scripts/bench/calibration.rhai; test.csv: the 200 held-out (theta, x) pairs. Trains sbi's
NPE-C with the paper's flow (MAF, 8 hidden features, 4 transforms) for a few epochs (the
training is not timed: only run_sbc + run_tarp are), then times them as evaluate_sbi.py
calls them (num_posterior_samples=1000, one worker).
"""
import argparse
import json
import time

import numpy as np
import torch
from sbi.diagnostics import check_sbc, check_tarp, run_sbc, run_tarp
from sbi.inference import SNPE_C
from sbi.utils import BoxUniform, posterior_nn
from torch.distributions import Normal, Uniform
from sbi.utils import MultipleIndependent

PARAMS = ["alpha_imf", "log10_n_ia", "log10_sfe", "log10_sfr_peak", "x_out", "birth_time"]


def load(path):
    header = open(path).readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    theta = data[:, [header.index(p) for p in PARAMS]]
    x = data[:, [i for i, h in enumerate(header) if h not in PARAMS]]
    return torch.tensor(theta, dtype=torch.float32), torch.tensor(x, dtype=torch.float32)


def prior():
    normals = [(-2.3, 0.3), (-2.89, 0.3), (-0.3, 0.3), (0.55, 0.1), (0.5, 0.1)]
    parts = [Normal(torch.tensor([m]), torch.tensor([s])) for m, s in normals]
    parts.append(Uniform(torch.tensor([2.0]), torch.tensor([12.8])))
    return MultipleIndependent(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pairs")
    ap.add_argument("test")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--out", default="sbi_timing.json")
    a = ap.parse_args()
    torch.manual_seed(1)
    theta, x = load(a.pairs)
    inference = SNPE_C(prior=prior(), density_estimator=posterior_nn(model="maf", hidden_features=8, num_transforms=4))
    t0 = time.time()
    est = inference.append_simulations(theta, x).train(max_num_epochs=a.epochs, show_train_summary=False)
    train_s = time.time() - t0
    post = inference.build_posterior(est)
    t_theta, t_x = load(a.test)
    t0 = time.time()
    ranks, dap = run_sbc(t_theta, t_x, post, num_posterior_samples=a.samples, num_workers=1, show_progress_bar=False)
    sbc_s = time.time() - t0
    t0 = time.time()
    ecp, alpha = run_tarp(t_theta, t_x, post, references=None, num_posterior_samples=a.samples, show_progress_bar=False)
    tarp_s = time.time() - t0
    checks = check_sbc(ranks, t_theta, dap, num_posterior_samples=a.samples)
    atc, ks = check_tarp(ecp, alpha)
    out = {
        "n": int(t_theta.shape[0]), "samples": a.samples, "train_seconds": train_s,
        "sbc_seconds": sbc_s, "tarp_seconds": tarp_s, "seconds": sbc_s + tarp_s,
        "sbc_ks_pvalues": dict(zip(PARAMS, [float(v) for v in checks["ks_pvals"]])),
        "tarp_atc": float(atc), "tarp_ks_pvalue": float(ks),
        "torch_threads": torch.get_num_threads(),
    }
    json.dump(out, open(a.out, "w"), indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
