"""The rendered blocks of the Chinese docs (README.zh-CN.md, docs/zh/tutorial.md).

The same committed numbers as the English blocks, with Chinese words around them; the
drift test covers both, so a changed metric changes them everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from digitlab.lab.sources import Sources
from digitlab.lab.stats import mean_sd, pct, verdict_zh

ROBUST = {"low_resolution": "低分辨率", "thick_strokes": "笔画加粗", "thin_strokes": "笔画变细",
          "shift": "数字偏离中心", "rotate": "旋转", "blur": "模糊", "jpeg": "JPEG 压缩",
          "aspect": "拉长", "slant": "倾斜"}  # fmt: skip
FITS = ("online", "normal_equation", "sgd", "minibatch", "gd_bias", "sigmoid", "tiny_net")


def fit(method: str, src: Sources) -> str:
    """One classical fit: its parameters, its MSE and the least-squares floor beside it."""
    m = src.json(f"metrics/classical/{method}.json")
    parts = [f"`{k}` = {m[k]:.4f}" for k in ("w", "b") if k in m]
    parts.append(f"均方误差（`mse`）{m['mse']:.5f}")
    if "mse_optimal" in m:
        parts.append(f"同一数据上最小二乘能达到的最低值（`mse_optimal`）{m['mse_optimal']:.5f}")
    if "w_clean" in m:
        parts.append(f"去掉那个离群点后 `w_clean` = {m['w_clean']:.4f}")
    if "accuracy" in m:
        parts.append(f"按 0.5 为界分类，分对 {m['accuracy']:.0%}（`accuracy`）")
    return f"`metrics/classical/{method}.json`：" + "；".join(parts) + "。\n"


def mnist(src: Sources) -> str:
    """The tutorial config's MLP: MNIST test accuracy, time, the real scans and its worst digits."""
    m = src.tutorial_metrics()
    real = {d: m[f"real_accuracy_class_{d}"] for d in range(10)}
    worst = sorted(real, key=real.__getitem__)[:3]
    robust = {k.removeprefix("robust_"): v for k, v in m.items() if k.startswith("robust_")}
    lowest = min((k for k in robust if k != "min"), key=robust.__getitem__)
    worst_robust = ROBUST.get(lowest, lowest)
    return (
        f"- MNIST 测试集准确率（`test_accuracy`）：**{pct(m['test_accuracy'])}**，"
        f"训练 {m['epochs']} 个 epoch，用时 {m['train_seconds']:.1f} 秒（`train_seconds`）。\n"
        f"- 真实扫描数字的测试半（`real_accuracy`）：**{pct(m['real_accuracy'])}**；"
        f"验证半 {pct(m['real_val_accuracy'])}。读得最差的数字："
        + "、".join(f"{d}（{pct(real[d])}）" for d in worst)
        + "。\n"
        f"- 最差的退化测试（`robust_min`，{worst_robust}）：{pct(m['robust_min'])}。\n"
    )


def predict(src: Sources) -> str:
    """The predict stage: PNG files read back through the user path."""
    m = src.json("metrics/predict.json")
    return (
        f"`metrics/predict.json`：导出的 {m['count']} 张 PNG 读回后，"
        f"有 {m['accuracy']:.0%} 被读对（`accuracy`）。\n"
    )


def headline(src: Sources) -> str:
    """The README.zh-CN results table: the tutorial config and the two presets."""
    m = src.tutorial_metrics()
    lines = [
        "| 模型 | MNIST 测试集 | 真实扫描（测试半） | 训练时间 | 命令 |",
        "|---|---|---|---|---|",
        f"| 教程原配置 | {pct(m['test_accuracy'])} | {pct(m['real_accuracy'])} | "
        f"{m['train_seconds']:.0f} 秒 | `make repro` |",
    ]
    for name in ("fast", "best"):
        row = src.headline(name)
        if row is None:
            lines.append(f"| `{name}` | 尚未测量 | | | `make exp-{name}` |")
            continue
        cells = []
        for key in ("test_accuracy", "real_accuracy"):
            first, values, target = row.accuracy(key)
            cells.append(f"{pct(first)}（3 个种子 {mean_sd(values)}；目标 "
                         f"≥ {100 * target:.1f}：{verdict_zh(values, target)}）")  # fmt: skip
        budget = row.targets["budget_epochs"]
        said = verdict_zh([-e for e in row.epochs], -budget, scale=1, unit="epochs")
        seeds = mean_sd(row.epochs, 1, 0)
        cells.append(f"{row.runs[0]['train_seconds']:.0f} 秒 = {row.epochs[0]:.0f} 个教程 epoch"
                     f"（3 个种子 {seeds}；预算 {budget}：{said}）")  # fmt: skip
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | `make exp-{name}` |")
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[Sources], str]] = {
    **{f"zh_fit_{method}": partial(fit, method) for method in FITS},
    "zh_mnist": mnist,
    "zh_predict": predict,
    "zh_headline": headline,
}
