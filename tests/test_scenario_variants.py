"""A loaded scenario records its file and overrides; ``with_overrides`` derives a variant of it
that is the same object, with the same errors, as loading everything at once."""

from __future__ import annotations

import pytest
import yaml

from sim.domain.errors import ScenarioError
from sim.experiments.runner import prepare, run_scenario
from sim.scenario import Provenance, Scenario, dump_resolved, load_scenario, with_overrides

SMALL = {
    "name": "small", "seed": 7, "horizon_hours": 24, "drain_hours": 1, "replications": 2,
    "lines": {"110": {"talk": {"dist": "exponential", "mean": 60}}},
    "centres": {"620100/110": {"calls_per_day": 100, "seats": {"hourly": [2] * 30}},
                "620200/110": {"calls_per_day": 50, "seats": 2}},
}


def test_the_loader_records_where_the_scenario_came_from(write_scenario):
    path = write_scenario(SMALL)
    scn = load_scenario(path, ["seed=9"], replications=3, seed=4)
    assert scn.provenance == Provenance(path, ("seed=9",), 3, 4)
    assert (scn.seed, scn.replications) == (4, 3)  # -r and --seed after the overrides
    builtin = load_scenario("gansu-baseline")
    assert builtin.provenance.source.name == "gansu-baseline.yaml"
    assert builtin.provenance.source.is_file()
    assert "provenance" not in dump_resolved(scn) and "seed=9" not in dump_resolved(scn)


def test_a_variant_is_the_scenario_loaded_with_every_override_at_once(write_scenario):
    path = write_scenario(SMALL)
    base = prepare(path, ["horizon_hours=12"], replications=3, seed=11)
    variant = with_overrides(base, ["centres.620200/110.seats=5"])
    direct = prepare(path, ["horizon_hours=12", "centres.620200/110.seats=5"],
                     replications=3, seed=11)
    assert variant == direct and variant.model_dump() == direct.model_dump()
    assert variant.centres["620200/110"].seats.constant == 5 and variant.horizon_hours == 12
    assert variant.provenance == direct.provenance
    assert with_overrides(variant, ["centres.620200/110.seats=2"]) == prepare(
        path, ["horizon_hours=12"], replications=3, seed=11)


def test_replications_and_seed_stay_last_unless_replaced(write_scenario):
    path = write_scenario(SMALL)
    given = prepare(path, seed=11)
    assert with_overrides(given, ["seed=99"]).seed == 11  # --seed wins, as it did
    assert prepare(path).seed == 7 and with_overrides(prepare(path), ["seed=99"]).seed == 99
    more = with_overrides(given, replications=6)
    assert (more.replications, more.seed) == (6, 11)
    assert more == prepare(path, replications=6, seed=11)


def test_a_bad_variant_names_the_file_line_as_loading_it_at_once_does(write_scenario):
    path = write_scenario(SMALL)
    base = prepare(path, replications=2)
    with pytest.raises(ScenarioError) as derived:
        with_overrides(base, ["horizon_hours=48"])  # the 30-hour seat schedule is too short
    with pytest.raises(ScenarioError) as direct:
        prepare(path, ["horizon_hours=48"], replications=2)
    assert str(derived.value) == str(direct.value)
    assert derived.value.source == str(path.resolve()) and derived.value.line
    assert "needs 48" in str(derived.value)
    with pytest.raises(ScenarioError, match=r"^--set: lines\.110\.talk\.mean: "):
        with_overrides(base, ["lines.110.talk.mean=-1"])


def test_equality_ignores_where_a_scenario_came_from(write_scenario, tmp_path):
    path = write_scenario(SMALL)
    scn = load_scenario(path)
    again = tmp_path / "again.yaml"
    again.write_text(dump_resolved(scn), encoding="utf-8")
    reloaded = load_scenario(again)
    assert reloaded.provenance.source != scn.provenance.source
    assert reloaded == scn
    assert load_scenario(path, ["seed=8"]) != scn


def test_a_scenario_built_in_code_takes_overrides_on_its_fields():
    built = Scenario.model_validate(SMALL)
    assert built.provenance is None
    variant = with_overrides(built, ["centres.620200/110.seats=5"], seed=3)
    assert variant.centres["620200/110"].seats.constant == 5 and variant.seed == 3
    assert variant.centres["620100/110"] == built.centres["620100/110"]
    assert variant.provenance is None
    with pytest.raises(ScenarioError, match=r"^--set: lines\.110\.talk\.mean: .*greater"):
        with_overrides(built, ["lines.110.talk.mean=-1"])
    with pytest.raises(ScenarioError,
                       match=r"^scenario 'small' \(built in code\): centres.620100/110.seats."
                             r"hourly: the seat schedule has 30 hours"):
        with_overrides(built, ["horizon_hours=48"])


def test_a_changed_copy_forgets_its_file_so_its_variants_keep_the_change(write_scenario):
    scn = prepare(write_scenario(SMALL))
    renamed = scn.model_copy(update={"name": "renamed"})
    assert renamed.provenance is None and scn.provenance is not None
    assert scn.model_copy().provenance == scn.provenance
    variant = with_overrides(renamed, ["seed=5"])
    assert variant.name == "renamed" and variant.seed == 5
    assert variant == prepare(write_scenario({**SMALL, "name": "renamed"}), ["seed=5"])


def test_run_scenario_takes_a_scenario_not_a_path(write_scenario, tmp_path):
    path = write_scenario(SMALL)
    for given in (path, str(path), "gansu-baseline"):
        with pytest.raises(TypeError, match="takes a loaded Scenario"):
            run_scenario(given, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_resolved_file_has_no_trace_of_the_overrides(write_scenario):
    scn = prepare(write_scenario(SMALL), ["seed=9"], replications=3)
    assert set(yaml.safe_load(dump_resolved(scn))) == set(Scenario.model_fields)
