"""What runs experiments rather than stages: presets, tuning, the grid, verify-repro, the
offline report, the docs renderer and the figures that compare runs."""
