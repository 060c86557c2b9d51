"""Figures of the CNN study, like the seed's §2.4 figures: test error and generalization gap per
variant (error bars: one standard error over seeds), gamma^2 and test error against M per layer,
test error against M with and without dropout.  Also the arrays behind them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from sim import mean_se
from sim.cnn import LAYERS, variant
from theory.cli import atomic_write

from ._cnn_claims import VARIANTS_242, Results, key, per_seed
from ._cnn_plan import BATCHES_243, LARGE, SMALL


def _mean_se(table: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SE over seeds (``axis``) by :func:`sim.mean_se`, ignoring runs where the value does not exist."""
    table = np.asarray(table, dtype=float)
    both = np.apply_along_axis(lambda seeds: np.array(mean_se(seeds, omit_missing=True)), axis, table)
    return np.take(both, 0, axis=axis), np.take(both, 1, axis=axis)


def _curves(results: Results, v: str, M: int, metric: str, seeds: int) -> np.ndarray:
    """Per-epoch ``metric`` (seeds x epochs; a diverged run's missing epochs are NaN)."""
    rows = [np.asarray(results[key(v, M, s)][f"epoch_{metric}"], dtype=float) for s in range(seeds)]
    width = max(len(r) for r in rows)
    return np.array([np.pad(r, (0, width - len(r)), constant_values=np.nan) for r in rows])


def _gap_curves(results: Results, v: str, M: int, seeds: int) -> np.ndarray:
    return _curves(results, v, M, "test_loss", seeds) - _curves(results, v, M, "train_loss", seeds)


def arrays(results: Results, seeds: int) -> dict[str, np.ndarray]:
    """The numbers behind the figures: per (variant, M) the final metrics over seeds."""
    out = {}
    for k in sorted({name.rsplit("-s", 1)[0] for name in results}):
        v, M, protocol = re.fullmatch(r"(.+)-M(\d+)(?:-(fixed))?", k).groups()  # type: ignore[union-attr]
        for metric in ("test_error", "gap", "train_loss", "test_loss"):
            out[f"cnn_{k}_{metric}"] = per_seed(results, v, int(M), metric, seeds, protocol or "linear")
    fixed = key("bn_layer1", BATCHES_243[0], 0, "fixed") in results
    for layer in range(1, LAYERS + 1):
        for protocol in ("linear", "fixed") if fixed else ("linear",):
            name = f"cnn_gamma2_layer{layer}" + ("" if protocol == "linear" else "_fixed")
            out[name] = np.array([per_seed(results, f"bn_layer{layer}", M, "gamma2_switched", seeds, protocol)
                                  for M in BATCHES_243])
    out["cnn_batches_243"] = np.array(BATCHES_243)
    return out


def _batch_axis(ax, batches) -> None:
    """Log axis with the batch sizes as its only ticks."""
    from matplotlib.ticker import NullLocator  # noqa: PLC0415

    ax.set_xticks(batches, [str(m) for m in batches])
    ax.xaxis.set_minor_locator(NullLocator())


def _bars(ax, labels, tables, ylabel, title):
    means, ses = zip(*(_mean_se(t) for t in tables))
    ax.bar(range(len(labels)), means, yerr=ses, capsize=4, color=[f"C{i}" for i in range(len(labels))])
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    ax.set(ylabel=ylabel, title=title)


def _curve(ax, table, label, color, ylabel):
    mean, se = _mean_se(table)
    epochs = np.arange(1, mean.size + 1)
    ax.plot(epochs, mean, color=color, label=label)
    ax.fill_between(epochs, mean - se, mean + se, color=color, alpha=0.2)
    ax.set(xlabel="epoch", ylabel=ylabel)


def _fig_241(plt, results, seeds, scale):
    configs = [("bn", SMALL), ("bn", LARGE), ("pn", SMALL), ("pn_gd", SMALL), ("pn_derived", SMALL)]
    labels = [f"{variant(v).label.split(' (')[0]}{' (seed)' if v == 'pn_gd' else ''}, M={M}" for v, M in configs]
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.4))
    for i, ((v, M), label) in enumerate(zip(configs, labels)):
        _curve(ax[0], _curves(results, v, M, "test_error", seeds), label, f"C{i}", "test error")
    ax[0].legend(fontsize=8)
    ax[0].set_title("§2.4.1 test error (±1 SE over seeds)")
    _bars(ax[1], labels, [per_seed(results, v, M, "gap", seeds) for v, M in configs], "validation - train loss",
          "§2.4.1 generalization gap")
    _bars(ax[2], labels, [per_seed(results, v, M, "test_error", seeds) for v, M in configs], "test error",
          "§2.4.1 final test error")
    return fig


def _fig_242(plt, results, seeds, scale):
    labels = [variant(v).label for v in VARIANTS_242]
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for i, (v, label) in enumerate(zip(VARIANTS_242, labels)):
        _curve(ax[0], _gap_curves(results, v, SMALL, seeds), label, f"C{i}", "validation loss - train loss")
    ax[0].legend(fontsize=8)
    ax[0].set_title(f"§2.4.2 generalization gap, M={SMALL}")
    _bars(ax[1], labels, [per_seed(results, v, SMALL, "gap", seeds) for v in VARIANTS_242],
          "validation loss - train loss", "§2.4.2 final gap (±1 SE)")
    return fig


def _protocols(results: Results) -> list[tuple[str, str]]:
    """(learning-rate protocol, line style) of the runs there: linear solid, fixed dotted."""
    fixed = key("bn", LARGE, 0, "fixed") in results
    return [("linear", "-")] + ([("fixed", ":")] if fixed else [])


def _fig_243(plt, results, seeds, scale):
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for layer in range(1, LAYERS + 1):
        name = f"bn_layer{layer}"
        label = f"BN in layer {layer} only" + (" (fc)" if layer == LAYERS else "")
        for a, metric in zip(ax, ("gamma2_switched", "test_error")):
            for protocol, style in _protocols(results):
                mean, se = _mean_se(np.array([per_seed(results, name, M, metric, seeds, protocol)
                                              for M in BATCHES_243]), axis=1)
                a.errorbar(BATCHES_243, mean, yerr=se, marker="o", capsize=3, linestyle=style, color=f"C{layer - 1}",
                           label=label if protocol == "linear" else None)
    ax[0].set(xscale="log", xlabel="batch size M", ylabel="γ² of the BN layer (mean over channels)",
              title="§2.4.3 γ² vs M (±1 SE)")
    ax[1].set(xscale="log", xlabel="batch size M", ylabel="test error",
              title="§2.4.3 test error vs M (±1 SE; dotted: fixed lr)")
    for a in ax:
        _batch_axis(a, BATCHES_243)
        a.legend(fontsize=7)
    return fig


def _fig_244(plt, results, seeds, scale):
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for i, v in enumerate(("bn", "bn_dropout", "wn", "wn_dropout")):
        for protocol, style in _protocols(results):
            mean, se = _mean_se(np.array([per_seed(results, v, M, "test_error", seeds, protocol)
                                          for M in (SMALL, LARGE)]), axis=1)
            ax[0].errorbar([SMALL, LARGE], mean, yerr=se, marker="o" if "dropout" in v else "s", capsize=3,
                           color=f"C{i}", label=variant(v).label if protocol == "linear" else None, linestyle=style)
        _curve(ax[1], 1 - _curves(results, v, LARGE, "test_error", seeds), variant(v).label, f"C{i}", "test accuracy")
    ax[0].set(xscale="log", xlabel="batch size M", ylabel="test error",
              title="§2.4.4 test error vs M, ± dropout (dotted: fixed lr)")
    _batch_axis(ax[0], (SMALL, LARGE))
    ax[1].set_title(f"§2.4.4 test accuracy, M={LARGE}")
    for a in ax:
        a.legend(fontsize=8)
    return fig


FIGURES = {"cnn_2_4_1.png": _fig_241, "cnn_2_4_2.png": _fig_242, "cnn_2_4_3.png": _fig_243, "cnn_2_4_4.png": _fig_244}


def draw(results: Results, seeds: int, folder: Path, scale: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """Write the four figures into ``folder``; their paths and the arrays behind them."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        fig = make(plt, results, seeds, scale)
        fig.suptitle(scale, fontsize=8)
        fig.tight_layout()
        path = folder / name
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        atomic_write(path, buffer.getvalue())
        paths.append(str(path))
    return paths, arrays(results, seeds)
