"""Side-by-side: statsmodels on M4 Weekly (non-seasonal, as M4's convention), timed per model.
Usage: /usr/bin/python3 statsmodels_forecast.py DATA_DIR OUT_CSV"""
import csv, sys, time, warnings
import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel

warnings.filterwarnings("ignore")
data_dir, out = sys.argv[1], sys.argv[2]
h = 13
train = []
with open(f"{data_dir}/Weekly-train.csv") as fh:
    r = csv.reader(fh)
    next(r)
    for row in r:
        train.append((row[0], np.array([float(x) for x in row[1:] if x != ""])))

def ets_damped(y):
    y = pd.Series(y)
    res = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
    p = res.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=0.05)
    return p["mean"].values, p["pi_lower"].values, p["pi_upper"].values

def theta(y):
    y = pd.Series(y)
    res = ThetaModel(y, period=1, deseasonalize=False).fit()
    m = np.asarray(res.forecast(h))
    pi = res.prediction_intervals(h, alpha=0.05)
    return m, np.asarray(pi["lower"]), np.asarray(pi["upper"])

rows, times = [], {}
for name, fn in [("sm_ets_damped", ets_damped), ("sm_theta", theta)]:
    t0 = time.perf_counter()
    for sid, y in train:
        m, lo, hi = fn(y)
        for j in range(h):
            rows.append((sid, name, j + 1, m[j], lo[j], hi[j]))
    times[name] = time.perf_counter() - t0
    print(name, round(times[name], 2), "s", file=sys.stderr)
with open(out, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["id", "model", "step", "mean", "lower", "upper"])
    w.writerows(rows)
with open(out.replace(".csv", "-times.csv"), "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["model", "seconds"])
    for k, v in times.items():
        w.writerow([k, v])
