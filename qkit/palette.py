"""The colours of every chart, matplotlib's and the inline SVG ones alike, so both read as one report.

Plain values, importable without matplotlib (the web form draws its radar
as SVG and must not load it).
"""

PRIMARY = "#1f4e79"  # our values, the applicant's polygon
RESULTS = "#2e8b8b"
AVAILABLE = "#dde3ea"
TARGET = "#c0392b"
UP = "#2e7d32"
DOWN = "#c62828"
MUTED = "#6b7785"  # subtitles, secondary labels
SERIES = ("#e07b39", "#7f8c8d", "#6a4c93", "#3c9d5d", "#b8860b", "#c2185b")  # comparison series, in turn
BAND_COLOURS = ("#f2f5f9", "#d2e0ee", "#a9c5e0", "#6f9fcb", "#3d74ad", "#1f4e79")
AXIS, GRID, INK = "#b0b7c0", "#e6e9ed", "#333333"  # axis lines, grid lines, tick labels
POLAR_GRID = "#d5dae0"  # the radar's rings and spokes
