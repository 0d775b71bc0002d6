"""The inverse calculators: seats for a service level (and an occupancy cap) agree with the
forward formulas: the answer meets the target and one seat fewer does not."""

from __future__ import annotations

import pytest

from sim.domain.errors import InputError
from sim.queueing.erlang import erlang_a, erlang_c
from sim.queueing.inverse import seats_for_target

CASES = [(10, 1, 1 / 3, 0.8, None), (0.5, 180, 20, 0.8, None), (45, 1, 1 / 3, 0.8, 2.0),
         (200, 1, 0.1, 0.9, 3.0), (0.02, 300, 15, 0.9, 60.0)]


def _sl(q, t):
    return q.p_answered_within(t) if hasattr(q, "p_abandon") else q.service_level(t)


@pytest.mark.parametrize(("rate", "talk", "t", "level", "patience"), CASES)
def test_result_meets_the_target_and_one_seat_fewer_does_not(rate, talk, t, level, patience):
    need = seats_for_target(rate, talk, t, level, patience)
    forward = (lambda n: erlang_c(n, rate, talk)) if patience is None else (
        lambda n: erlang_a(n, rate, talk, patience))
    assert _sl(forward(need.seats), t) >= level
    assert need.seats == 1 or _sl(forward(need.seats - 1), t) < level
    assert need.binding == "service level"


@pytest.mark.parametrize("patience", [None, 2.0])
def test_occupancy_cap_adds_seats_and_one_fewer_breaks_it(patience):
    free = seats_for_target(45, 1, 1 / 3, 0.8, patience)
    capped = seats_for_target(45, 1, 1 / 3, 0.8, patience, max_occupancy=0.85)
    assert capped.seats > free.seats and capped.binding == "occupancy"
    assert capped.at.occupancy <= 0.85 < capped.one_fewer.occupancy
    # Erlang C: occupancy is a / n, so the cap alone needs ceil(45 / 0.85) = 53 seats
    if patience is None:
        assert capped.seats == 53


def test_bad_cap_is_an_input_error():
    with pytest.raises(InputError, match="max_occupancy"):
        seats_for_target(10, 1, 0.3, 0.8, max_occupancy=1.5)


def test_cli_inverse_and_its_errors(cli):
    out = cli("erlang", "c", "--target", "0.8/20", "--rate", 0.5, "--talk", 180).output
    need = seats_for_target(0.5, 180, 20, 0.8)
    assert f"seats needed = {need.seats} (set by the service level)" in out
    assert f"with {need.seats - 1} seats" in out
    out = cli("erlang", "a", "--target", "0.8/0.3333", "--rate", 45, "--talk", 1, "--patience",
              2, "--max-occupancy", 0.9).output
    assert "seats needed = " in out and "occupancy" in out
    for args in (["--target", "0.8/20", "-n", 3], [], ["--target", "1.5/20"],
                 ["--target", "0.8"]):
        result = cli("erlang", "c", "--rate", 1, "--talk", 1, *args)
        assert result.exit_code == 2 and "seats needed =" not in result.output, args


def test_cli_forward_checks_input_before_printing_and_warns_on_overload(cli):
    result = cli("erlang", "c", "-n", 5, "--rate", 10, "--talk", 1, "-t", -1)
    assert result.exit_code == 2 and "P(wait)" not in result.output
    result = cli("erlang", "c", "-n", 5, "--rate", 10, "--talk", 1)
    assert "warning: offered load 10 Erl >= 5 seats" in result.output


def test_cli_inverse_refuses_a_load_it_cannot_search_and_says_zero_for_no_calls(cli):
    import time

    began = time.monotonic()
    for line in ("c", "a"):
        extra = ["--patience", 90] if line == "a" else []
        result = cli("erlang", line, "--target", "0.8/20", "--rate", "1e9", "--talk", 180,
                     *extra)
        assert result.exit_code == 2 and "--rate" in result.output
        assert "1,000,000" in result.output
    assert time.monotonic() - began < 5  # refused at once, not searched
    for bad in ("0.8/nan", "0.8/inf"):
        result = cli("erlang", "c", "--target", bad, "--rate", 1, "--talk", 1)
        assert result.exit_code == 2 and result.output.startswith("error: --target:")
    result = cli("erlang", "c", "--target", "0.8/20", "--rate", 0, "--talk", 180)
    assert result.exit_code == 0 and result.output.startswith("seats needed = 0")


def test_library_search_refuses_beyond_its_documented_limit():
    from sim.queueing.inverse import MAX_OFFERED, servers_for_blocking, servers_for_service_level

    with pytest.raises(InputError, match="rate"):
        servers_for_service_level(MAX_OFFERED + 1, 1.0, 0.0, 0.5)
    with pytest.raises(InputError, match="offered"):
        servers_for_blocking(2 * MAX_OFFERED, 0.01)
