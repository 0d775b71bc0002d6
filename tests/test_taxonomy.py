"""The diversion list (分流转办事项清单): the shipped data and the loader's validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.domain.errors import InputError
from sim.domain.taxonomy import (
    LINES,
    NO_OWNER,
    OWNERS,
    TRANSFER_MODES,
    UTILITY_LINES,
    Taxonomy,
    category_codes,
    load_taxonomy,
)

# ---- the shipped list ----


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def test_shipped_list_loads_with_enough_categories(tax: Taxonomy) -> None:
    assert len(tax) >= 30
    assert category_codes() == frozenset(tax.codes)
    assert load_taxonomy() is tax  # cached


def test_every_owner_is_a_known_line(tax: Taxonomy) -> None:
    for code in tax.codes:
        assert tax.owner_of(code) in OWNERS


def test_every_line_has_a_mix(tax: Taxonomy) -> None:
    assert set(tax.lines) == set(LINES) | set(UTILITY_LINES)


def test_every_mix_sums_to_one(tax: Taxonomy) -> None:
    for line in tax.lines:
        codes, p = tax.mix(line)
        assert len(codes) == len(p) == len(set(codes))
        assert abs(sum(tax.raw_mix[line].values()) - 1.0) <= 1e-3, line
        assert abs(p.sum() - 1.0) <= 1e-6, line
        assert (p >= 0).all()


def test_each_line_mostly_receives_its_own_calls_except_110(tax: Taxonomy) -> None:
    for line in tax.lines:
        codes, p = tax.mix(line)
        own = sum(w for c, w in zip(codes, p, strict=True) if tax.owner_of(c) == line)
        assert own >= (0.3 if line == "110" else 0.5), line


def test_110_mix_is_mostly_non_police(tax: Taxonomy) -> None:
    # FACTS: Lanzhou 2024 ~22 % valid; Hefei 61.7 % non-police; Gansu 2017 66.85 % harassing.
    codes, p = tax.mix("110")
    share = {c: w for c, w in zip(codes, p, strict=True)}
    non_police = sum(w for c, w in share.items() if tax.owner_of(c) != "110")
    assert non_police >= 0.5
    invalid_or_harassing = sum(w for c, w in share.items()
                               if tax.get(c).kind in ("invalid", "harassment"))
    assert invalid_or_harassing >= 0.5


def test_12345_mix_reproduces_tangshan_request_types(tax: Taxonomy) -> None:
    codes, p = tax.mix("12345")
    by_kind: dict[str, float] = {}
    for c, w in zip(codes, p, strict=True):
        by_kind[tax.get(c).kind] = by_kind.get(tax.get(c).kind, 0.0) + w
    assert by_kind["consultation"] == pytest.approx(0.637, abs=1e-6)
    assert by_kind["help"] == pytest.approx(0.290, abs=1e-6)
    assert by_kind["complaint"] == pytest.approx(0.010, abs=1e-6)


def _where(tax: Taxonomy, **match: Any) -> list[str]:
    return [c.code for c in tax.categories.values()
            if all(getattr(c, k) == v for k, v in match.items())]


def test_each_seed_mechanism_has_a_category(tax: Taxonomy) -> None:
    assert _where(tax, danger=True, owner="110")                                   # S7
    assert _where(tax, violent_dispute=True, handling="dual", owner="110")         # S8
    assert _where(tax, harassment=True, owner="110")                               # S9, S22
    assert _where(tax, owner=NO_OWNER, handling="guidance")                        # S1
    assert _where(tax, owner="119", handling="dispatch", urgency="emergency")      # S10 fire
    assert _where(tax, owner="120", handling="dispatch", urgency="emergency")      # S10 medical
    traffic = [c for c in tax.codes if c.startswith("T-")]
    assert traffic and all(tax.owner_of(c) in ("122", "110") for c in traffic)    # S2, S10
    for line in UTILITY_LINES:                                                     # S10
        assert _where(tax, owner=line), line
    assert _where(tax, outage=True)                                                # S11
    for mode in TRANSFER_MODES:                                                    # S3-S5
        assert _where(tax, transfer_mode=mode), mode
    ambiguous = [c for c in tax.categories.values() if 0.2 <= c.scope_unclear <= 0.5]
    assert len(ambiguous) >= 3                                                     # S4, S14


def test_every_s1_exclusion_is_covered(tax: Taxonomy) -> None:
    guidance = " ".join(tax.get(c).zh for c in _where(tax, handling="guidance"))
    for term in ("诉讼", "仲裁", "纪检监察", "行政复议", "信息公开", "信访", "秘密", "隐私"):
        assert term in guidance, term


def test_owned_categories_have_a_transfer_mode(tax: Taxonomy) -> None:
    for c in tax.categories.values():
        assert (c.transfer_mode is None) == c.out_of_scope, c.code
        if c.handling in ("work_order", "dual"):
            assert c.department, c.code


def test_objects_are_frozen(tax: Taxonomy) -> None:
    c = tax.get("P-CRIME")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.owner = "12345"  # type: ignore[misc]
    with pytest.raises(TypeError):
        tax.categories["P-CRIME"] = c  # type: ignore[index]
    codes, p = tax.mix("110")
    p[:] = 0.0
    assert tax.mix("110")[1].sum() == pytest.approx(1.0)


def test_lookups(tax: Taxonomy) -> None:
    assert tax.index(tax.codes[3]) == 3
    assert tax.get("F-FIRE").transferred_from("12345")
    assert not tax.get("F-FIRE").transferred_from("119")
    assert not tax.get("N-INVALID").transferred_from("110")
    for bad in (lambda: tax.get("NOPE"), lambda: tax.index("NOPE"), lambda: tax.mix("999")):
        with pytest.raises(KeyError):
            bad()


# ---- bad input ----


def _good() -> dict[str, Any]:
    return {
        "categories": [
            {"code": "P-CRIME", "zh": "刑事", "en": "crime", "items": ["盗窃"], "owner": "110",
             "kind": "report", "urgency": "emergency", "handling": "police_order",
             "transfer_mode": "one_key", "danger": True},
            {"code": "G-NOISE", "zh": "噪声", "en": "noise", "items": ["施工噪声"],
             "owner": "12345", "kind": "help", "urgency": "normal", "handling": "work_order",
             "transfer_mode": "system_dispatch", "scope_unclear": 0.3, "department": "生态环境局"},
            {"code": "X-PETITION", "zh": "信访", "en": "petition", "items": ["信访"],
             "owner": "none", "kind": "out_of_scope", "urgency": "normal",
             "handling": "guidance", "transfer_mode": None},
        ],
        "mix": {"110": {"P-CRIME": 0.4, "G-NOISE": 0.6},
                "12345": {"G-NOISE": 0.9, "X-PETITION": 0.1}},
    }


def _write(tmp_path: Path, data: dict[str, Any] | str) -> Path:
    path = tmp_path / "list.yaml"
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True,
                                                               sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, data: dict[str, Any] | str) -> InputError:
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    assert info.value.source == str(path)
    return info.value


def test_small_good_file_loads(tmp_path: Path) -> None:
    tax = load_taxonomy(_write(tmp_path, _good()))
    assert tax.codes == ("P-CRIME", "G-NOISE", "X-PETITION")
    assert tax.lines == ("110", "12345")
    codes, p = tax.mix("110")
    assert codes == ("P-CRIME", "G-NOISE")
    np.testing.assert_allclose(p, [0.4, 0.6])


def _set(path: str, value: Any) -> dict[str, Any]:
    """The good document with one value replaced (dotted path, list indices as ints)."""
    data = _good()
    *parents, last = path.split(".")
    node: Any = data
    for k in parents:
        node = node[int(k)] if isinstance(node, list) else node[k]
    node[int(last) if isinstance(node, list) else last] = value
    return data


@pytest.mark.parametrize(("path", "value", "key", "expected"), [
    ("categories.1.colour", "red", "categories[1].colour", "unknown key"),
    ("categories.0.danger", "yes", "categories[0].danger", "true or false"),
    ("categories.0.items", "盗窃", "categories[0].items", "list"),
    ("categories.1.talk_factor", "slow", "categories[1].talk_factor", "positive number"),
    ("categories.1.owner", "999", "categories[1].owner", "one of 12345, 110"),
    ("categories.1.kind", "rant", "categories[1].kind", "one of consultation"),
    ("categories.1.scope_unclear", 1.5, "categories[1].scope_unclear", "[0, 1]"),
    ("categories.1.scope_unclear", -0.1, "categories[1].scope_unclear", "[0, 1]"),
    ("categories.1.code", "P-CRIME", "categories[1].code", "duplicate code"),
    ("categories.1.code", "noise", "categories[1].code", "upper-case ASCII"),
    ("mix.110.P-THEFT", 0.0, "mix.110.P-THEFT", "unknown category"),
    ("mix.110.G-NOISE", -0.6, "mix.110.G-NOISE", "non-negative"),
    ("mix.110.G-NOISE", 0.7, "mix.110", "sum to 1.1"),
    ("mix.999", {"G-NOISE": 1.0}, "mix.999", "one of 12345, 110"),
    ("categories.2.transfer_mode", "one_key", "categories[2].transfer_mode", "null"),
    ("categories.0.handling", "dual", "categories[0].department", "department"),
    ("categories.1.handling", "police_order", "categories[1].handling", "owner 110"),
    ("categories.1.violent_dispute", True, "categories[1].violent_dispute", "dual"),
    ("version", 2, "version", "unknown key"),
])
def test_bad_input_names_the_key(tmp_path: Path, path: str, value: Any, key: str,
                                 expected: str) -> None:
    err = _error(tmp_path, _set(path, value))
    assert err.key == key
    assert expected in err.message
    assert err.line is not None


def test_missing_required_key(tmp_path: Path) -> None:
    data = _good()
    del data["categories"][0]["owner"]
    err = _error(tmp_path, data)
    assert err.key == "categories[0]" and "owner" in err.message


def test_error_gives_the_yaml_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(_good(), allow_unicode=True, sort_keys=False)
    text = text.replace("owner: '12345'", "owner: gov")
    bad_line = next(i for i, t in enumerate(text.splitlines(), 1) if "owner: gov" in t)
    err = _error(tmp_path, text)
    assert (err.key, err.line) == ("categories[1].owner", bad_line)
    assert f"list.yaml:{bad_line}: categories[1].owner: expected one of" in str(err)


def test_unquoted_line_ids_are_accepted(tmp_path: Path) -> None:
    text = yaml.safe_dump(_good(), allow_unicode=True, sort_keys=False)
    text = text.replace("owner: '110'", "owner: 110").replace("'110':", "110:")
    assert load_taxonomy(_write(tmp_path, text)).owner_of("P-CRIME") == "110"


def test_duplicate_mapping_key(tmp_path: Path) -> None:
    text = yaml.safe_dump(_good(), allow_unicode=True, sort_keys=False)
    text = text.replace("    G-NOISE: 0.6\n", "    G-NOISE: 0.6\n    G-NOISE: 0.6\n", 1)
    assert _error(tmp_path, text).key == "mix.110.G-NOISE"


@pytest.mark.parametrize(("text", "expected"), [
    ("categories: [\n", "not valid YAML"),
    ("- a list\n", "top level"),
    ("categories: []\nmix: {}\n", "non-empty list"),
])
def test_malformed_file(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _error(tmp_path, text).message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_taxonomy(tmp_path / "absent.yaml")


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True, width=32))
def test_scope_unclear_accepts_exactly_probabilities(tmp_path_factory: pytest.TempPathFactory,
                                                     p: float) -> None:
    path = _write(tmp_path_factory.mktemp("p"), _set("categories.1.scope_unclear", p))
    if 0.0 <= p <= 1.0:
        assert load_taxonomy(path).get("G-NOISE").scope_unclear == p
    else:
        with pytest.raises(InputError):
            load_taxonomy(path)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=2).filter(lambda w: sum(w) > 0))
def test_mix_normalises_any_weights_summing_to_one(tmp_path_factory: pytest.TempPathFactory,
                                                   w: list[float]) -> None:
    total = sum(w)
    data = _good()
    data["mix"]["110"] = {"P-CRIME": w[0] / total, "G-NOISE": w[1] / total}
    _, p = load_taxonomy(_write(tmp_path_factory.mktemp("w"), data)).mix("110")
    assert abs(p.sum() - 1.0) <= 1e-12
    np.testing.assert_allclose(p, np.array(w) / total, atol=1e-6)
