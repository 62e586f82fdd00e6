"""Every 3D kind, made with the command line's defaults or the booth's, fits the print bed and passes the check.

The booth's options are read from the registry as the booth reads them: the size slider at its default and at both
ends of the engine's range, the other fields at the Marrakech city's values (the city the booth opens with) or the
booth's defaults, and the values the booth always passes (``fit_bed``).
"""

from __future__ import annotations

import pytest

from workshop_kit import registry
from workshop_kit.mesh.lathe import PRESETS
from workshop_kit.mesh.printability import DEFAULT_BED_MM, DEFAULT_MIN_WALL_MM, fits_bed
from workshop_kit.presets import CITIES
from workshop_kit.registry import ENGINES

KINDS = ("lathe", "lantern", "relief", "tiles", "shape-space")
SEEDS = range(8)
FEW_SEEDS = range(3)  # for the engines whose check takes seconds (a relief has 130 000 faces)


def booth_options(name: str, size: str) -> dict:
    """What the booth hands ``name`` when it opens (Marrakech), with its size slider at ``size``."""
    city = CITIES["marrakech"]
    options = {}
    for option in ENGINES[name].options:
        b = option.booth
        if b is None or option.kind == "image":
            continue
        if b.fixed is not None:
            options[option.name] = b.fixed
        elif (b.field or option.name) == "size_mm":
            options[option.name] = {"low": b.low, "default": b.default, "high": b.high}[size]
        elif option.city:
            options[option.name] = getattr(city, option.city)
        else:
            options[option.name] = b.default if b.default is not None else option.default
    return options


def _cases():
    for size in (None, "low", "default", "high"):
        for name in KINDS:
            options = {} if size is None else booth_options(name, size)
            presets = sorted(PRESETS) if name == "lathe" else [None]
            for preset in presets:
                given = options if preset is None else {**options, "preset": preset}
                label = f"{name}{'-' + preset if preset else ''}-{'cli' if size is None else 'booth-' + size}"
                yield pytest.param(name, given, id=label)


def _assert_prints(result) -> None:
    report = result.printability
    assert fits_bed(result.mesh.extents), (result.params, result.mesh.extents)
    assert report.fits_bed and report.bed_mm == DEFAULT_BED_MM
    assert report.min_wall_mm >= DEFAULT_MIN_WALL_MM - 0.05, (result.params, report.min_wall_mm)
    assert report.ready, (result.params, report.verdict("en"))
    assert report.verdict("en").startswith("ready to print") and "larger than the bed" not in report.verdict("en")


@pytest.mark.slow
@pytest.mark.parametrize("name, options", list(_cases()))
def test_default_objects_fit_the_bed_and_print(name, options):
    slow = name in ("relief", "lantern", "tiles")
    # a blend's shape does not depend on the seed (only its glaze does): one seed says it
    blend = name == "shape-space" and options.get("a") is not None
    for seed in (range(1) if blend else FEW_SEEDS if slow else SEEDS):
        _assert_prints(ENGINES[name].generate(seed=seed, **options))


def test_the_booth_fits_every_pot_to_the_bed_and_the_cli_can_ask_it():
    for name in ("lathe", "shape-space"):
        option = ENGINES[name].option("fit_bed")
        assert option.booth.fixed is True and option.cli and option.default is False


def test_square_objects_stop_at_the_beds_short_side_in_the_booth():
    assert registry._BED_SHORT_SIDE_MM == min(DEFAULT_BED_MM[:2])
    for name, option in (("relief", "width_mm"), ("tiles", "tile_mm")):
        assert ENGINES[name].option(option).booth.high <= min(DEFAULT_BED_MM[:2])
    for name in KINDS:
        size = next(o for o in ENGINES[name].options if o.booth and (o.booth.field or o.name) == "size_mm")
        assert size.booth.high <= DEFAULT_BED_MM[2]
