"""The fixed small TARP example of tests/calib_tarp_reference.rs, computed with sbi 0.23.1."""
import numpy as np, torch
from sbi.diagnostics.tarp import _run_tarp, check_tarp
rng = np.random.default_rng(7)
B, L, d = 12, 9, 2
theta = np.round(rng.normal(size=(B, d)) * [1.0, 3.0] + [0.5, -2.0], 3)
samples = np.round(theta[None] + rng.normal(size=(L, B, d)) * [0.8, 2.0], 3)
refs = np.round(rng.uniform(theta.min(0), theta.max(0), size=(B, d)), 3)
t = lambda a: torch.tensor(a, dtype=torch.float64)
ecp, alpha = _run_tarp(t(samples), t(theta), t(refs), num_bins=6, z_score_theta=True)
atc, ks = check_tarp(ecp, alpha)
print("theta", theta.tolist()); print("samples", samples.tolist()); print("refs", refs.tolist())
print("ecp", ecp.tolist()); print("alpha", alpha.tolist()); print("atc", atc, "ks", ks)
