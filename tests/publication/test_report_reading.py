"""What a careful reader of the report sees: undetermined boundaries in words, one tier
numbering (from 1, as in the JSON), numbers in the report's language, every text in it,
and a method text that says where group differences come from and how precise a cell is."""

import re

import msgspec
import pytest
import tinyhtml5

from server.publication.rendering import interval, number, p_value, percent
from server.publication.report import report_html
from server.publication.store import StoredPublication
from server.publication.suppression import suppress_small_cells
from server.publication.tier_numbering import first_tier, tier_number
from server.publication.wording import translate_note
from tests.publication.test_report import stored_publication

H = "{http://www.w3.org/1999/xhtml}"


def _with_document(publication: StoredPublication, document: dict) -> StoredPublication:
    return msgspec.structs.replace(publication, gradation=msgspec.json.encode(document))


def _undetermined_between_2_and_3(publication: StoredPublication) -> tuple[StoredPublication, dict]:
    """The patients' boundary between tiers 2 and 3 made undetermined (as a thinner sample gives)."""
    document = msgspec.json.decode(publication.gradation)
    patient = next(g for g in document["groups"] if g["group"] == "patient")
    patient["tiers"][1]["boundary_above"] = "undetermined"
    return _with_document(publication, document), document


def _by_class(root, tag: str, cls: str) -> list:
    return [e for e in root.iter(H + tag) if cls in e.get("class", "").split()]


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


@pytest.fixture(scope="module")
def publication() -> StoredPublication:
    return stored_publication()


@pytest.mark.parametrize(("language", "separated", "undetermined"), [("da", "adskilt grænse", "uafklaret grænse"), ("en", "separated boundary", "undetermined boundary")])
def test_every_boundary_between_tiers_is_named_in_the_measures_table(publication: StoredPublication, language: str, separated: str, undetermined: str) -> None:
    changed, document = _undetermined_between_2_and_3(publication)
    root = tinyhtml5.parse(report_html(changed, language))
    for group in document["groups"]:
        table = next(t for t in _by_class(root, "table", "measures") if t.get("data-group") == group["group"])
        rows = [r for r in table.iter(H + "tr") if "boundary" in r.get("class", "").split()]
        expected = [(f"{t['index']}-{t['index'] + 1}", t["boundary_above"]) for t in group["tiers"][:-1]]
        assert [(r.get("data-between"), r.get("class").split()[1]) for r in rows] == expected
        for row, (_, status) in zip(rows, expected, strict=True):
            assert (separated if status == "separated" else undetermined) in _text(row)
    # Tiers whose inner order is unsettled are said to be so, by number.
    patient = next(g for g in document["groups"] if g["group"] == "patient")
    table = next(t for t in _by_class(root, "table", "measures") if t.get("data-group") == "patient")
    unsettled = {t["index"] for t in patient["tiers"] if t["status"] == "undetermined"}
    assert unsettled, "the simulated patients have tiers whose order the data do not settle"
    marked = {int(r.get("data-tier")) for r in table.iter(H + "tr") if "unsettled" in r.get("class", "").split()}
    assert marked == unsettled
    assert ("indbyrdes rækkefølge uafklaret" if language == "da" else "order within the tier not settled") in _text(table)


def test_summary_gives_each_cells_tier_sequence_and_boundary_counts(publication: StoredPublication) -> None:
    changed, document = _undetermined_between_2_and_3(publication)
    root = tinyhtml5.parse(report_html(changed, "da"))
    summary = _by_class(root, "table", "summary")[0]
    row = next(r for r in summary.iter(H + "tr") if r.get("data-group") == "patient")
    sequence = _text(_by_class(row, "td", "sequence")[0]).replace(" ", "")
    # 1 < 2 ? 3* < 4 < 5*: the undetermined boundary reads "?", unsettled tiers carry "*".
    assert sequence == "1<2?3*<4<5*"
    counts = _by_class(row, "td", "boundaries")[0]
    assert (counts.get("data-separated"), counts.get("data-undetermined")) == ("3", "1")
    assert "uafklaret grænse" in _text(_by_class(root, "p", "sequence-key")[0])


def test_tiers_are_numbered_from_one_in_json_report_and_figures_also_for_old_documents(publication: StoredPublication) -> None:
    document = msgspec.json.decode(publication.gradation)
    assert document["schema"] == "leastmeans.gradation/3" and first_tier(document) == 1
    for group in document["groups"]:
        assert [t["index"] for t in group["tiers"]] == list(range(1, len(group["tiers"]) + 1))
        for m in group["measures"]:
            assert m["tier"] is None or m["measure"] in group["tiers"][m["tier"] - 1]["measures"]
    # A publication stored in schema /2 (tiers from 0) prints the same numbers.
    old = msgspec.json.decode(publication.gradation)
    old["schema"] = "leastmeans.gradation/2"
    for group in old["groups"]:
        for t in group["tiers"]:
            t["index"] -= 1
        for m in group["measures"]:
            m["tier"] = None if m["tier"] is None else m["tier"] - 1
    assert first_tier(old) == 0 and tier_number(old, 0) == 1

    def printed(pub: StoredPublication) -> list[tuple[str, str]]:
        root = tinyhtml5.parse(report_html(pub, "en"))
        rows = [(r.get("data-measure"), r.get("data-tier")) for t in _by_class(root, "table", "measures") for r in t.iter(H + "tr") if r.get("data-measure")]
        forest = [(g.get("data-measure"), g.get("data-tier")) for g in root.iter("{http://www.w3.org/2000/svg}g") if "row" in g.get("class", "").split()]
        return rows + sorted(forest)

    assert printed(_with_document(publication, old)) == printed(publication)
    assert ("area_restriction", "1") in printed(publication)


def test_suppression_renumbers_tiers_without_gaps_and_moves_the_measures_tiers() -> None:
    measures = [{"measure": m, "n": n, "small_cell": n < 5, "tier": k} for m, n, k in (("a", 40, 1), ("b", 3, 2), ("c", 40, 3))]
    group = {
        "group": "patient", "setting": "general_adult", "small_cell": False, "respondents": 40, "measures": measures, "allowed": [], "pairwise": [], "reference": None,
        "tiers": [
            {"index": 1, "measures": ["a"], "boundary_above": "separated", "status": "single", "stability": 0.9},
            {"index": 2, "measures": ["b"], "boundary_above": "separated", "status": "single", "stability": 0.8},
            {"index": 3, "measures": ["c"], "boundary_above": None, "status": "single", "stability": 0.7},
        ],
    }
    out = suppress_small_cells({"schema": "leastmeans.gradation/3", "groups": [group], "notes": []}, 5)
    (kept,) = out["groups"]
    assert [(t["index"], t["measures"], t["boundary_above"]) for t in kept["tiers"]] == [(1, ["a"], "separated"), (2, ["c"], None)]
    assert {m["measure"]: m["tier"] for m in kept["measures"]} == {"a": 1, "c": 2}


def test_numbers_follow_the_language_without_negative_zero() -> None:
    assert (number(12.345, 1, "da"), number(12.345, 1, "en")) == ("12,3", "12.3")
    assert number(-0.04, 1, "en") == "0.0" and number(-0.0, 2, "da") == "0,00"
    assert number(-23.94, 1, "da") == "\u221223,9"
    assert interval(12.3, 15.0, 1, "da") == "12,3–15,0"
    assert interval(-23.94, -11.0, 1, "da") == "\u221223,9 til \u221211,0"
    assert interval(-23.94, -11.0, 1, "en") == "\u221223.9 to \u221211.0"
    assert interval(-2.0, 3.0, 1, "en") == "\u22122.0 to 3.0"
    assert (p_value(0.0, "da"), p_value(0.0004, "en"), p_value(0.0123, "da")) == ("< 0,001", "< 0.001", "0,012")
    assert (percent(0.125, 1, "da"), percent(0.125, 1, "en")) == ("12,5\u00a0%", "12.5%")


@pytest.mark.parametrize("language", ["da", "en"])
def test_report_text_has_no_minus_zero_english_headers_or_decimal_points_in_danish(publication: StoredPublication, language: str) -> None:
    root = tinyhtml5.parse(report_html(publication, language))
    body = next(root.iter(H + "body"))
    # Machine values live in attributes; the printed text is what a reader sees.
    printed = " ".join(t for e in body.iter() if e.tag not in (H + "pre", H + "code", H + "style") for t in (e.text, e.tail) if t)
    assert not re.search(r"(?<![\w.])[-\u2212]0(?:[.,]0+)?(?![\d.,])", printed), "a negative zero is printed"
    assert not re.search(r"\d[.,]\d+\s?[-\u2212]{1,2}\s?\d", printed), "a range of decimals printed with a hyphen"
    assert "0.000" not in printed and "0,000" not in printed
    headers = [_text(th) for th in body.iter(H + "th")]
    if language == "en":
        assert "Rank" in headers and "Rang" not in headers
    else:
        assert "Rang" in headers and "Rank" not in headers
        measures = _by_class(body, "table", "measures")[0]
        means = [td.text for td in measures.iter(H + "td") if td.get("data-value") and "." in td.get("data-value")]
        assert means and all("," in m and "." not in m for m in means)


def test_danish_report_leaves_no_english_note(publication: StoredPublication) -> None:
    document = msgspec.json.decode(publication.gradation)
    # Every note the analysis and suppression write, as far as the report knows them.
    document["notes"] += [
        "item kinds not used by the gradation: free_text",
        "suppressed (fewer than 5 respondents): staff / general_adult: ratings of net_bed, belt_long",
        "suppressed (fewer than 5 respondents): staff / general_adult: allowed? answers on net_bed",
        "suppressed (fewer than 5 respondents): staff / general_adult: paired comparisons",
        "suppressed (fewer than 5 respondents): staff / general_adult: rankings",
    ]
    document["departures"] = [
        "settings.bootstrap_resamples: 40 instead of the planned 1000",
        "general_adult: the mixed model was fitted on a random subset of 400 respondents, not on all",
        "general_adult: the ordinal model did not converge",
        "forensic: the mixed model was not fitted (fit failed: Singular matrix)",
        "staff / general_adult: fewer respondents than the planned minimum of 30 for tiering; tiers were formed nevertheless",
        "staff / general_adult: net_bed, belt_long rated by fewer than the planned minimum of 10 respondents",
    ]
    root = tinyhtml5.parse(report_html(_with_document(publication, document), "da"))
    shown = [_text(li) for li in _by_class(root, "li", "note")] + [_text(li) for ul in _by_class(root, "ul", "departures") for li in ul.iter(H + "li")]
    assert len(shown) == len(document["notes"]) + len(document["departures"])
    english = re.compile(r"\b(the|fewer|than|respondents|ratings|of|instead|planned|suppressed|answers|comparisons|rankings|not|on|all|staff|general_adult)\b")
    for text in shown:
        assert not english.search(text), text
    assert any("Personale / Almenpsykiatri" in text for text in shown)
    # The data-quality rules and subgroup levels are printed in Danish too.
    quality = _text(next(s for s in root.iter(H + "section") if s.get("id") == "data-quality"))
    assert "or more numeric ratings" not in quality and "seconds per saved answer" not in quality
    assert "alle ens" in quality
    levels = {th.get("data-level"): _text(th) for t in _by_class(root, "table", "subgroups") for th in t.iter(H + "th") if th.get("data-level")}
    assert (levels["female"], levels["male"], levels["witnessed"], levels["18-29"]) == ("Kvinder", "Mænd", "Har set det", "18–29")


@pytest.mark.parametrize(
    "note",
    [
        "no tiers: 19 respondents rated measures here, fewer than the planned minimum of 30 for tiering; descriptives only",
        "descriptives only (fewer than 10 ratings, left out before tiering): net_bed (n=4), belt_long (n=3)",
        "ratings from 3 sites (fewer than 5): intervals and tests are respondent-level, i.e. conditional on these sites",
        "3 sites (fewer than 5): intervals are clustered by respondent and do not reflect variation between sites",
        "separation, so the strengths are unbounded and not estimated: sedation_danger: always judged the more intrusive against every other measure it was compared with",
        "the comparisons fall into 2 unlinked groups (a, b | c); strengths in different groups are not comparable",
        "every answered pair was \"don't know\", so no measure was judged more intrusive than another",
    ],
)
def test_cell_notes_and_fit_messages_are_translated(note: str) -> None:
    danish = translate_note(note, "da")
    assert danish != note
    assert not re.search(r"\b(the|fewer|than|respondents|always|judged|against|every|sites)\b", danish), danish


def test_method_text_says_where_group_differences_come_from_and_how_precise_each_cell_is(publication: StoredPublication) -> None:
    document = msgspec.json.decode(publication.gradation)
    # The fixture fits no models (speed); the mixed model's record as the analysis writes it.
    document["models"] = [{
        "setting": "general_adult", "ordinal": None,
        "mixed": {"formula": "rating ~ C(measure) * C(group) + C(gender) + C(age_band) + C(experience)", "respondents": 400, "observations": 3100,
                  "subsampled": False, "site_variance_component": True, "converged": True, "coefficients": [], "group_contrasts": [],
                  "se_method": "site_cv3", "sites": 6, "df": 5.0, "variance_components": {}, "measure_order": [], "error": None},
    }]
    changed = _with_document(publication, document)
    for language, words in (("da", ("lineær mixed model", "tilfældigt intercept pr. respondent", "5 frihedsgrader", "6 afdelinger")), ("en", ("linear mixed model", "random intercept per respondent", "5 degrees of freedom", "6 sites"))):
        root = tinyhtml5.parse(report_html(changed, language))
        method = _text(next(s for s in root.iter(H + "section") if s.get("id") == "method"))
        for w in words:
            assert w in method, (language, w)
        for group in document["groups"]:
            precision = group["sensitivity"]["precision"]
            assert number(precision["detectable_difference"], 1, language) in method
            assert number(precision["provable_margin"], 1, language) in method
    # Without models, the report says group differences are not tested.
    plain = tinyhtml5.parse(report_html(publication, "en"))
    assert "not tested" in _text(next(s for s in plain.iter(H + "section") if s.get("id") == "method"))


def test_public_page_marks_simulated_data_and_numbers_tiers_as_the_report(publication: StoredPublication) -> None:
    from server.publication.public_page import public_html

    document = msgspec.json.decode(publication.gradation)
    simulated = msgspec.structs.replace(publication, info=msgspec.structs.replace(publication.info, simulated=True, status="public"))
    root = tinyhtml5.parse(public_html(simulated, "da"))
    marks = [e for e in root.iter() if e.tag.startswith(H) and {"simulated", "watermark"} & set(e.get("class", "").split())]
    # One page watermark, one notice at the top and one in every group's section.
    assert len(marks) == 2 + len(document["groups"])
    assert all("SIMULEREDE DATA – MÅ IKKE BRUGES" in _text(m) for m in marks)
    patient = next(g for g in document["groups"] if g["group"] == "patient")
    key = next(t for t in root.iter(H + "section") if t.get("data-group") == "patient")
    shown = {r.get("data-measure"): _text(list(r.iter(H + "td"))[0]) for r in key.iter(H + "tr") if r.get("data-measure")}
    unsettled = {t["index"] for t in patient["tiers"] if t["status"] == "undetermined"}
    assert shown == {m["measure"]: str(m["tier"]) + ("*" if m["tier"] in unsettled else "") for m in patient["measures"]}
    # Between the tiers, the key table names each boundary (most intrusive first).
    boundaries = [(r.get("data-between"), _text(r)) for r in key.iter(H + "tr") if "boundary" in r.get("class", "").split()]
    assert boundaries == [(f"{t['index']}-{t['index'] + 1}", "adskilt grænse") for t in reversed(patient["tiers"][:-1])]
    assert "Pårørende / Retspsykiatri" in _text(root.find(f".//{H}body"))
    real = msgspec.structs.replace(publication, info=msgspec.structs.replace(publication.info, simulated=False, status="public"))
    assert "SIMULEREDE" not in public_html(real, "da")
