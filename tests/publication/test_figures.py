"""The ladder figures, checked on their SVG structure and rendered to PNG."""

import io
import xml.etree.ElementTree as ET

import msgspec
import pytest
from PIL import Image

from analysis.gradation import analyse
from server.publication.figures import all_figures, group_figure, svg_to_png
from server.publication.suppression import suppress_small_cells
from server.publication.wording import legal_today, measure_label
from tests.publication.conftest import QUICK

NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def document(dataset, reference) -> dict:
    # The figures draw no tier stability: it is left out of the analysis they are drawn from.
    settings = msgspec.structs.replace(QUICK, tier_stability_resamples=0)
    return suppress_small_cells(analyse(dataset, settings, reference=reference).to_dict(), settings.min_cell)


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def _panel(root: ET.Element, kind: str) -> ET.Element:
    return next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if {"panel", kind} <= _classes(g))


def _tiers(panel: ET.Element) -> list[ET.Element]:
    return [g for g in panel.iter("{http://www.w3.org/2000/svg}g") if "tier" in _classes(g)]


def _measures(tier: ET.Element) -> list[ET.Element]:
    return [g for g in tier.iter("{http://www.w3.org/2000/svg}g") if "measure" in _classes(g)]


@pytest.mark.parametrize("language", ["da", "en"])
def test_measured_ladder_has_the_result_tiers_bottom_up_with_ties_side_by_side(document: dict, language: str) -> None:
    group = next(g for g in document["groups"] if g["group"] == "patient")
    root = ET.fromstring(group_figure(document, group, language))
    measured = _panel(root, "measured")
    tiers = _tiers(measured)
    assert [[m.get("data-measure") for m in _measures(t)] for t in tiers] == [t["measures"] for t in group["tiers"]]
    # Least intrusive at the bottom: tier k+1 is drawn above tier k (smaller y).
    ys = [float(_measures(t)[0].find("svg:rect", NS).get("y")) for t in tiers]
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)
    ties = [t for t in tiers if len(_measures(t)) > 1]
    assert ties, "the simulated truth has ties the analysis should find"
    for tier in ties:
        rects = [m.find("svg:rect", NS) for m in _measures(tier)]
        assert len({r.get("y") for r in rects}) == 1  # same row
        xs = sorted(float(r.get("x")) for r in rects)
        assert all(b - a >= float(rects[0].get("width")) for a, b in zip(xs, xs[1:]))  # side by side, no overlap
    # Labels in the requested language.
    first = _measures(tiers[0])[0]
    assert measure_label(first.get("data-measure"), language) in ET.tostring(first, encoding="unicode")


def test_measures_not_legal_today_are_dashed_and_legal_ones_solid(document: dict) -> None:
    group = document["groups"][0]
    root = ET.fromstring(group_figure(document, group, "da"))
    boxes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "measure" in _classes(g)]
    assert boxes
    for box in boxes:
        legal = legal_today()[box.get("data-measure")]
        rect = box.find("svg:rect", NS)
        assert ("not-legal" in _classes(box)) is (not legal)
        assert (rect.get("stroke-dasharray") is not None) is (not legal)
    assert any("not-legal" in _classes(b) for b in boxes) and any("legal" in _classes(b) for b in boxes)


def test_undetermined_boundaries_are_marked_and_reference_differences_highlighted(document: dict) -> None:
    for group in document["groups"]:
        root = ET.fromstring(group_figure(document, group, "en"))
        measured = _panel(root, "measured")
        boundaries = [g for g in measured.iter("{http://www.w3.org/2000/svg}g") if "boundary" in _classes(g)]
        expected = [t["boundary_above"] for t in group["tiers"][:-1]]
        assert ["undetermined" if "undetermined" in _classes(b) else "separated" for b in boundaries] == expected
        for b in boundaries:
            if "undetermined" in _classes(b):
                assert b.find("svg:line", NS).get("stroke-dasharray")
                assert "?" in "".join(b.itertext())
        # A tier whose inner order the data do not settle is outlined, dashed.
        unsettled = [t for t in _tiers(measured) if "undetermined" in _classes(t)]
        assert len(unsettled) == sum(t["status"] == "undetermined" for t in group["tiers"])
        for t in unsettled:
            assert t.find("svg:rect", NS).get("stroke-dasharray")
        reference = _panel(root, "reference")
        assert [[m.get("data-measure") for m in _measures(t)] for t in _tiers(reference)] == document["reference_gradation"]["general_adult"]
        disagreeing = {m for p in group["reference"]["pairs"] if p["status"] == "disagree" for m in (p["measure_a"], p["measure_b"])}
        highlighted = {g.get("data-measure") for g in measured.iter("{http://www.w3.org/2000/svg}g") if "differs" in _classes(g)}
        assert highlighted == disagreeing
    staff = next(g for g in document["groups"] if g["group"] == "staff")
    assert staff["reference"]["disagree"] > 0, "the simulated staff shift makes at least one difference"


def test_every_figure_renders_to_a_png_that_is_not_blank(document: dict) -> None:
    figures = all_figures(document, "en")
    assert set(figures) == {"ladder-general_adult-patient-en", "ladder-general_adult-staff-en"}
    for svg in figures.values():
        image = Image.open(io.BytesIO(svg_to_png(svg, scale=1.0))).convert("L")
        assert image.width > 400 and image.height > 400
        low, high = image.getextrema()
        assert high - low > 100  # ink on paper, not a blank page


SVG = "{http://www.w3.org/2000/svg}"


def _forest_rows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(SVG + "g") if "row" in _classes(g)]


@pytest.mark.parametrize("language", ["da", "en"])
def test_forest_shows_each_mean_and_interval_in_tier_order_with_the_boundaries(document: dict, language: str) -> None:
    import copy

    from server.publication.forest import forest_svg
    from server.publication.rendering import interval, number

    document = copy.deepcopy(document)
    group = next(g for g in document["groups"] if g["group"] == "patient")
    group["tiers"][1]["boundary_above"] = "undetermined"
    root = ET.fromstring(forest_svg(document, group, language))
    rows = _forest_rows(root)
    by_measure = {m["measure"]: m for m in group["measures"]}
    # Drawn most intrusive at the top, like the ladder: tier numbers never rise going down.
    tiers = [int(r.get("data-tier")) for r in rows]
    assert tiers == sorted(tiers, reverse=True) and tiers[-1] == 1
    assert [r.get("data-measure") for r in reversed(rows)] == [m["measure"] for m in group["measures"]]
    for row in rows:
        m = by_measure[row.get("data-measure")]
        assert (float(row.get("data-mean")), float(row.get("data-low")), float(row.get("data-high"))) == (m["mean"], m["ci_low"], m["ci_high"])
        value = next(t for t in row.iter(SVG + "text") if "value" in _classes(t)).text
        assert value == f"{number(m['mean'], 1, language)} ({interval(m['ci_low'], m['ci_high'], 1, language)})"
        assert ("," in value) is (language == "da")
        # The mean sits at its place on the 0-100 axis, inside its interval's whisker.
        mark = next(e for e in row.iter(SVG + "rect") if "mean" in _classes(e))
        ci = next(e for e in row.iter(SVG + "line") if "ci" in _classes(e))
        x = float(mark.get("x")) + float(mark.get("width")) / 2
        assert float(ci.get("x1")) <= x <= float(ci.get("x2"))
    ticks = [t.text for t in root.iter(SVG + "text") if "tick" in _classes(t)]
    assert ticks == ["0", "20", "40", "60", "80", "100"]
    boundaries = [g for g in root.iter(SVG + "g") if "boundary" in _classes(g)]
    expected = {f"{t['index']}-{t['index'] + 1}": t["boundary_above"] for t in group["tiers"][:-1]}
    assert {b.get("data-between"): ("undetermined" if "undetermined" in _classes(b) else "separated") for b in boundaries} == expected
    undetermined = next(b for b in boundaries if "undetermined" in _classes(b))
    assert undetermined.find("svg:line", NS).get("stroke-dasharray") and "?" in "".join(undetermined.itertext())
    unsettled = {int(g.get("data-tier")) for g in root.iter(SVG + "g") if {"tier-band", "unsettled"} <= _classes(g)}
    assert unsettled == {t["index"] for t in group["tiers"] if t["status"] == "undetermined"}
    # A text alternative with every number, for screen readers and the tagged PDF.
    assert root.get("role") == "img"
    alternative = root.find("svg:title", NS).text
    assert all(number(m["mean"], 1, language) in alternative for m in group["measures"])
    assert root.get("aria-label") == alternative


def test_figures_of_simulated_data_are_watermarked(document: dict) -> None:
    from server.publication.forest import forest_svg

    group = document["groups"][0]
    for svg in (group_figure(document, group, "da", simulated=True), forest_svg(document, group, "da", watermark="SIMULEREDE DATA – MÅ IKKE BRUGES")):
        marks = [t for t in ET.fromstring(svg).iter(SVG + "text") if "watermark" in _classes(t)]
        assert [m.text for m in marks] == ["SIMULEREDE DATA – MÅ IKKE BRUGES"]
    served = {**document, "publication": {"simulated": True}}
    assert "SIMULATED DATA" in group_figure(served, group, "en")
    assert "watermark" not in group_figure(document, group, "en")


def test_ladder_text_alternative_names_every_tier_and_boundary(document: dict) -> None:
    group = next(g for g in document["groups"] if g["group"] == "patient")
    root = ET.fromstring(group_figure(document, group, "en"))
    alternative = root.find("svg:title", NS).text
    for tier in group["tiers"]:
        assert f"tier {tier['index']}" in alternative
        assert all(measure_label(m, "en") in alternative for m in tier["measures"])
    assert alternative.count("separated boundary") == sum(t["boundary_above"] == "separated" for t in group["tiers"])
    assert root.get("aria-label") == alternative


def test_the_figures_command_writes_ladders_and_forests_watermarked_for_simulated_data(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    import analysis.simulate
    import server.publication.store
    from server.cli import main

    # The files and their watermarks are checked here, not the statistics (they are, above
    # and in tests/analysis): the built-in dataset with fewer respondents per group (still
    # enough for tiers), analysed without rank bootstrap, tier stability and tipping points.
    full_simulation, full_analysis = analysis.simulate.simulate_answers, server.publication.store.prepare_publication
    monkeypatch.setattr(analysis.simulate, "simulate_answers", lambda simulation: full_simulation(msgspec.structs.replace(simulation, respondents_per_group=40)))
    monkeypatch.setattr(
        server.publication.store,
        "prepare_publication",
        lambda frame, settings, reference: full_analysis(frame, msgspec.structs.replace(settings, bootstrap=False, tier_stability_resamples=0, tipping_point=False), reference),
    )
    result = CliRunner().invoke(main, ["figures", "--simulated", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for language in ("da", "en"):
        forest = (tmp_path / f"forest-general_adult-staff-{language}.svg").read_text(encoding="utf-8")
        ladder = (tmp_path / f"ladder-general_adult-staff-{language}.svg").read_text(encoding="utf-8")
        mark = "SIMULEREDE DATA" if language == "da" else "SIMULATED DATA"
        assert mark in forest and mark in ladder
        assert (tmp_path / f"forest-general_adult-staff-{language}.png").read_bytes().startswith(b"\x89PNG")
