"""Figures: every axis names its unit; files are written; animation via pillow."""

from __future__ import annotations

import re

import numpy as np
import pytest

from spintorque import plot
from spintorque.io.table import TableWriter

UNIT = re.compile(r"\(.+\)")  # "t (ns)", "m_x (1)", "x (nm)", "current density j (1e10 A/m²...)"


@pytest.fixture()
def captured(monkeypatch):
    figs = []
    original = plot._save

    def save(fig, png):
        figs.append([(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes])
        return original(fig, png)

    monkeypatch.setattr(plot, "_save", save)
    return figs


def _labels_have_units(labels):
    for xlabel, ylabel in labels:
        for text in (xlabel, ylabel):
            if text:  # colorbar axes label one side only
                assert UNIT.search(text), f"axis label without unit: {text!r}"


def test_mt_from_table(tmp_path, captured):
    cols = ["t (s)", "mx", "my", "mz", "mx_FM1", "my_FM1", "mz_FM1", "mx_FM2", "my_FM2", "mz_FM2"]
    with TableWriter(tmp_path / "table.tsv", cols) as tw:
        for t in np.linspace(0, 1e-9, 11):
            c, s = np.cos(t * 3e9), np.sin(t * 3e9)
            tw.append([t, 0, 0, 0, 1, 0, 0, c, s, 0])
    png = plot.plot_mt(tmp_path / "table.tsv", tmp_path / "mt.png", "title")
    assert png.stat().st_size > 5000
    (labels,) = captured
    assert len(labels) == 2 and labels[-1][0] == "t (ns)"
    _labels_have_units(labels)


def test_layers_diagram_and_animation(tmp_path, captured):
    m = np.zeros((8, 4, 6, 3))
    m[..., 0] = 1
    m[:, :, 3:, 0] = -1
    png = plot.plot_layers(m, [("FM1", 0, 2), ("FM2", 3, 6)], (4e-9, 4e-9, 5e-9),
                           tmp_path / "layers.png")
    assert png.is_file()
    pts = {"diffusion": [(5e10, "FM2 +x"), (9e10, "FM2 −x")], "moment": [(5e10, "FM2 +x")]}
    assert plot.plot_switching_diagram(pts, tmp_path / "sw.png").is_file()
    for labels in captured:
        _labels_have_units(labels)
    frames = np.repeat(m[None, :, :, 0, :], 3, axis=0)
    gif = plot.animate_layer(frames, [0, 1e-10, 2e-10], (4e-9, 4e-9, 5e-9), tmp_path / "a.gif")
    assert gif is not None and gif.read_bytes()[:3] == b"GIF"
    with pytest.raises(ValueError, match="shape"):
        plot.plot_layers(m[..., :2], [("FM1", 0, 2)], (1, 1, 1), tmp_path / "x.png")


def test_motion_against_current(tmp_path, captured):
    pts = {"diffusion": [(150e10, 0.64), (100e10, 0.1)], "moment": [(90e10, 0.5)]}
    assert plot.plot_motion(pts, tmp_path / "motion.png", threshold=0.2).is_file()
    (labels,) = captured
    _labels_have_units(labels)
    with pytest.raises(ValueError, match="empty"):
        plot.plot_motion({"diffusion": []}, tmp_path / "x.png")
