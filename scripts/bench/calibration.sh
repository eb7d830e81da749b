#!/usr/bin/env bash
# SBC + TARP at 200 × 1000: galchem and sbi 0.23.1 timed one after the other on this machine.
#   bash scripts/bench/calibration.sh posterior.json [python]
# python: an interpreter with sbi==0.23.1 installed (default python3).
set -euo pipefail
post=${1:?usage: calibration.sh POSTERIOR [PYTHON]}
py=${2:-python3}
galchem=${GALCHEM:-galchem}
"$galchem" --quiet run "$(dirname "$0")/calibration.rhai" -- posterior="$post" pairs=sbi_pairs.csv test=sbi_test.csv out=bench_calibration.json
"$py" "$(dirname "$0")/sbi_calibration.py" sbi_pairs.csv sbi_test.csv --out sbi_timing.json
"$py" - <<'PY'
import json
g = json.load(open("bench_calibration.json")); s = json.load(open("sbi_timing.json"))
print(f"SBC + TARP 200 x 1000: galchem {g['sbc_tarp_seconds']:.3f} s, sbi {s['seconds']:.3f} s, ratio {s['seconds'] / g['sbc_tarp_seconds']:.1f}")
PY
