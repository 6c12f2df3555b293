"""Every key of a study-file section is an option of the assay command that runs it.

The assay commands are one-section studies; an option the study file has must
exist on the command too, so that the two cannot drift apart. The only keys a
command may lack are listed here with the reason.
"""

from __future__ import annotations

import pytest
from typer.main import get_command

from pdstudy.cli import app
from pdstudy.study import HANDLERS

#: (group, command) -> (section kind, {key: why the command has no option for it})
COMMANDS = {
    ("binding", "analyze"): ("binding", {}),
    ("binding", "saturation"): ("saturation", {}),
    ("protein", "analyze"): ("protein", {}),
    ("dialysis", "analyze"): ("microdialysis", {}),
    ("behavior", "fst"): ("fst", {}),
    ("behavior", "tst"): ("tst", {}),
    ("uptake", "analyze"): (
        "uptake",
        {
            "mode": "the command is the mode",
            "hot_substrate_conc": "kinetics only (uptake kinetics --hot-substrate)",
            "nonspecific": "kinetics only",
        },
    ),
    ("uptake", "kinetics"): (
        "uptake",
        {
            "mode": "the command is the mode",
            "hot_substrate_conc": "option --hot-substrate",
            "substrate_conc": "inhibition only: kinetics has [S] per well in the layout",
            "km": "inhibition only (Cheng-Prusoff)",
            "rout": "inhibition only",
            "two_site": "inhibition only",
            "max_nonspecific_fraction": "inhibition only",
            "max_cv": "inhibition only",
            "min_z_prime": "inhibition only",
            "exclude_z_below": "inhibition only (a kinetics plate has no control window)",
            "model": "inhibition only (kinetics fits Michaelis-Menten)",
            "fix_hill": "inhibition only",
            "fix_top": "inhibition only",
            "fix_bottom": "inhibition only",
        },
    ),
}


@pytest.mark.parametrize("group, command", list(COMMANDS))
def test_command_has_every_key_of_its_section(group: str, command: str) -> None:
    kind, exempt = COMMANDS[(group, command)]
    sub = get_command(app).commands[group].commands[command]  # type: ignore[attr-defined]
    names = {p.name for p in sub.params}
    names |= {o.lstrip("-").replace("-", "_") for p in sub.params for o in p.opts}
    keys = [k.name for k in HANDLERS[kind].schema.keys]
    missing = [k for k in keys if k not in names and k not in exempt]
    assert not missing, f"pdstudy {group} {command} has no option for [[{kind}]] keys {missing}"
    assert set(exempt) <= set(keys), "an exemption names a key the section no longer has"
