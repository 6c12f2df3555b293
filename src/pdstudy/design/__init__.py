"""Study design: plate maps, concentration series and dilution tables.

Design functions return tidy frames; write layouts with
``pdstudy.io.write_layout(frame, path)``.
"""

from pdstudy.design.plates import (
    competition_layout,
    concentration_series,
    dilution_table,
    plate_map_html,
    plot_plate_map,
    protein_layout,
    saturation_layout,
    saturation_series,
    uptake_layout,
)

__all__ = [
    "competition_layout",
    "concentration_series",
    "dilution_table",
    "plate_map_html",
    "plot_plate_map",
    "protein_layout",
    "saturation_layout",
    "saturation_series",
    "uptake_layout",
]
