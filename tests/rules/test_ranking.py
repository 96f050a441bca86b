"""The quota line: everyone at or above the Q-th total is admitted; ties share a rank."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jifen.rules import RuleSetError, load_rule_set, rank_results
from jifen.rules.ranking import (
    Candidate,
    RankedEntry,
    RankingRule,
    TieBreak,
    parse_ranking,
    rank,
)
from jifen.rules.ruleset import _read, compile_rule_set


def test_line_is_the_quota_th_total_and_ties_at_the_line_are_admitted() -> None:
    totals = [("5", 9000), ("1", 9500), ("3", 9000), ("2", 9000), ("4", 8000)]
    outcome = rank_results(totals, quota=2)
    assert outcome.line_cents == 9000
    assert outcome.line == 90.0
    assert outcome.admitted == 4  # more than the quota: the three at 90.00 share the line
    assert [(e.application_no, e.rank, e.admitted) for e in outcome.entries] == [
        ("1", 1, True),
        ("2", 2, True),
        ("3", 2, True),
        ("5", 2, True),
        ("4", 5, False),
    ]


def test_application_numbers_order_ties_numerically() -> None:
    outcome = rank_results([("10", 100), ("9", 100), ("100", 100)], quota=5)
    assert [e.application_no for e in outcome.entries] == ["9", "10", "100"]


def test_fewer_applicants_than_the_quota() -> None:
    outcome = rank_results([("1", 5000), ("2", 4000)], quota=6000)
    assert outcome.line_cents == 4000 and outcome.admitted == 2


def test_nobody_eligible() -> None:
    outcome = rank_results([], quota=6000)
    assert outcome.line is None and outcome.admitted == 0


def test_quota_must_be_positive() -> None:
    with pytest.raises(ValueError, match="quota"):
        rank_results([("1", 1)], quota=0)


# ---------------------------------------------------------------- rank() with a RankingRule


def beijing(quota: int, *ties: TieBreak, floor: int | None = None) -> RankingRule:
    return RankingRule("quota_line", quota, floor, tuple(ties))


def listing(outcome) -> list[tuple[str, int, bool]]:  # type: ignore[no-untyped-def]
    return [(e.application_no, e.rank, e.admitted) for e in outcome.entries]


def cands(*pairs: tuple[str, int]) -> list[Candidate]:
    return [Candidate(no, total) for no, total in pairs]


def test_quota_line_ranks_1_2_2_4_and_admits_everyone_at_the_line() -> None:
    outcome = rank(cands(("4", 8000), ("3", 9000), ("1", 9900), ("2", 9000)), beijing(2))
    assert listing(outcome) == [("1", 1, True), ("2", 2, True), ("3", 2, True), ("4", 4, False)]
    assert (outcome.line_cents, outcome.line, outcome.admitted) == (9000, 90.0, 3)
    assert outcome.quota == 2 and outcome.method == "quota_line" and outcome.tie_breaks == ()


def test_quota_line_exactly_at_the_quota_admits_the_quota() -> None:
    outcome = rank(cands(("1", 300), ("2", 200), ("3", 100)), beijing(2))
    assert outcome.line_cents == 200 and outcome.admitted == 2
    assert listing(outcome)[2] == ("3", 3, False)


def test_the_entries_keep_total_and_ties() -> None:
    outcome = rank([Candidate("7", 123, (5,))], beijing(1, TieBreak("a")))
    assert outcome.entries[0] == RankedEntry("7", 123, 1, True, (5,))


def test_fewer_candidates_than_the_quota_all_admitted_line_is_the_last() -> None:
    outcome = rank(cands(("2", 5000), ("1", 7000), ("3", 5000)), beijing(6000))
    assert outcome.line_cents == 5000 and outcome.admitted == 3
    assert listing(outcome) == [("1", 1, True), ("2", 2, True), ("3", 2, True)]


def test_nobody_to_rank() -> None:
    outcome = rank([], beijing(10))
    assert outcome.line_cents is None and outcome.line is None
    assert outcome.admitted == 0 and outcome.entries == []


def test_listing_by_number_compares_digits_as_numbers() -> None:
    outcome = rank(cands(("100", 5), ("9", 5), ("10", 5), ("009", 5)), beijing(1))
    assert [e.application_no for e in outcome.entries] == ["009", "9", "10", "100"]
    assert {e.rank for e in outcome.entries} == {1}


def test_numbers_that_are_not_all_digits_come_after_by_their_text() -> None:
    outcome = rank(cands(("B2", 5), ("10", 5), ("A1", 5), ("9", 5), ("A0", 5)), beijing(1))
    assert [e.application_no for e in outcome.entries] == ["9", "10", "A0", "A1", "B2"]


def test_quota_line_with_a_floor_guangzhou() -> None:
    # Guangzhou: nobody below 60 points, then the quota.
    rule = beijing(3, floor=6000)
    outcome = rank(cands(("1", 8000), ("2", 7000), ("3", 5999), ("4", 5000)), rule)
    # Only two reach the floor: the line is the last of them, not the quota-th total.
    assert outcome.line_cents == 7000 and outcome.admitted == 2
    assert listing(outcome) == [("1", 1, True), ("2", 2, True), ("3", 3, False), ("4", 4, False)]
    # When more than the quota reach it, the quota decides.
    outcome = rank(
        cands(("1", 8000), ("2", 7000), ("3", 6500), ("4", 6000)), beijing(2, floor=6000)
    )
    assert outcome.line_cents == 7000 and outcome.admitted == 2
    # Exactly at the floor counts.
    outcome = rank(cands(("1", 6000)), beijing(2, floor=6000))
    assert outcome.line_cents == 6000 and outcome.admitted == 1


def test_quota_line_with_a_floor_nobody_reaches() -> None:
    outcome = rank(cands(("1", 5000), ("2", 4000)), beijing(5, floor=6000))
    assert outcome.line_cents is None and outcome.admitted == 0
    assert listing(outcome) == [("1", 1, False), ("2", 2, False)]


def test_threshold_method_shanghai_standard_score_without_quota() -> None:
    rule = RankingRule("threshold", threshold_cents=12000)
    totals = [(f"{i}", 11000 + i * 250) for i in range(1, 9)]  # 112.50 .. 130.00
    outcome = rank(cands(*totals), rule)
    assert outcome.quota is None and outcome.method == "threshold"
    assert outcome.line_cents == 12000
    admitted = [e.total_cents for e in outcome.entries if e.admitted]
    assert admitted == [13000, 12750, 12500, 12250, 12000]
    assert outcome.admitted == 5
    assert [e.rank for e in outcome.entries] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_threshold_method_nobody_reaches_it() -> None:
    outcome = rank(cands(("1", 11999)), RankingRule("threshold", threshold_cents=12000))
    assert outcome.line_cents == 12000 and outcome.admitted == 0
    assert listing(outcome) == [("1", 1, False)]


def test_threshold_method_ignores_a_quota() -> None:
    rule = RankingRule("threshold", quota=1, threshold_cents=100)
    outcome = rank(cands(("1", 300), ("2", 200), ("3", 50)), rule)
    assert outcome.admitted == 2 and outcome.quota is None


# ---------------------------------------------------------------- tie-break chains

MEDICAL = TieBreak("facts.medical_years", "desc", "医疗保险年限")
PERMIT = TieBreak("facts.permit_years", "desc", "居住证年限")
AGE = TieBreak("indicators.age", "asc", "年龄得分（低者优先）")


def test_a_tie_break_orders_equal_totals_before_the_number() -> None:
    outcome = rank(
        [Candidate("1", 9000, (300,)), Candidate("2", 9000, (500,)), Candidate("3", 9500, (0,))],
        beijing(10, MEDICAL),
    )
    assert listing(outcome) == [("3", 1, True), ("2", 2, True), ("1", 3, True)]


def test_ascending_tie_break_prefers_the_lower_value() -> None:
    outcome = rank([Candidate("1", 9000, (500,)), Candidate("2", 9000, (300,))], beijing(10, AGE))
    assert [e.application_no for e in outcome.entries] == ["2", "1"]
    assert [e.rank for e in outcome.entries] == [1, 2]


def test_the_chain_goes_on_only_when_the_earlier_keys_are_equal() -> None:
    rule = beijing(10, MEDICAL, PERMIT)
    outcome = rank(
        [
            Candidate("1", 9000, (300, 100)),
            Candidate("2", 9000, (300, 900)),
            Candidate("3", 9000, (400, 0)),
            Candidate("4", 9000, (300, 900)),
        ],
        rule,
    )
    # 3 has the most medical years; 2 and 4 are equal on every key: they share rank 2.
    assert listing(outcome) == [("3", 1, True), ("2", 2, True), ("4", 2, True), ("1", 4, True)]


def test_the_line_is_drawn_on_the_whole_key() -> None:
    # Quota 2: three share the total at the line, but the tie break separates them, so only
    # those not worse than the second on the whole key are admitted.
    rule = beijing(2, MEDICAL)
    outcome = rank(
        [Candidate("1", 9000, (500,)), Candidate("2", 9000, (400,)), Candidate("3", 9000, (300,))],
        rule,
    )
    assert listing(outcome) == [("1", 1, True), ("2", 2, True), ("3", 3, False)]
    assert outcome.line_cents == 9000 and outcome.admitted == 2
    # ... and equal on the whole key at the line: all admitted.
    outcome = rank(
        [Candidate("1", 9000, (500,)), Candidate("2", 9000, (400,)), Candidate("3", 9000, (400,))],
        rule,
    )
    assert outcome.admitted == 3 and outcome.tie_breaks == (MEDICAL,)


def test_tie_values_read_dotted_paths_in_hundredths() -> None:
    rule = beijing(1, MEDICAL, AGE)
    result = {"facts": {"medical_years": 7.25}, "indicators": {"age": 20}}
    assert rule.tie_values(result) == (725, 2000)


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"facts": {}},
        {"facts": None},
        {"facts": {"medical_years": "7"}},
        {"facts": {"medical_years": True}},
        {"facts": {"medical_years": None}},
        {"facts": 3},
    ],
)
def test_a_missing_or_non_numeric_tie_value_counts_as_zero(result: dict) -> None:
    assert MEDICAL.value(result) == 0


def test_missing_values_rank_as_zero_in_either_direction() -> None:
    rule_desc, rule_asc = beijing(5, MEDICAL), beijing(5, TieBreak("facts.x", "asc"))
    with_value = {"facts": {"medical_years": 1, "x": 1}}
    missing: dict = {}
    desc = rank(
        [
            Candidate("1", 100, rule_desc.tie_values(missing)),
            Candidate("2", 100, rule_desc.tie_values(with_value)),
        ],
        rule_desc,
    )
    asc = rank(
        [
            Candidate("1", 100, rule_asc.tie_values(with_value)),
            Candidate("2", 100, rule_asc.tie_values(missing)),
        ],
        rule_asc,
    )
    assert [e.application_no for e in desc.entries] == ["2", "1"]
    assert [e.application_no for e in asc.entries] == ["2", "1"]


def test_a_candidate_with_the_wrong_number_of_tie_values_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^9: 1 tie values, rule has 2$"):
        rank([Candidate("9", 1, (1,))], beijing(1, MEDICAL, PERMIT))


# ---------------------------------------------------------------- the rule itself


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lottery", "quota": 1}, "^unknown ranking method 'lottery'$"),
        ({"method": "quota_line"}, "^quota must be at least 1$"),
        ({"method": "quota_line", "quota": 0}, "^quota must be at least 1$"),
        ({"method": "threshold"}, "^the threshold method needs a threshold$"),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": (TieBreak("a.b", "up"),)},
            "^tie break a.b: order must be desc or asc$",
        ),
    ],
)
def test_an_impossible_rule_is_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RankingRule(**kwargs)


def test_a_rule_with_a_quota_of_one_and_a_threshold_of_zero_is_fine() -> None:
    assert RankingRule("quota_line", 1).quota == 1
    assert RankingRule("threshold", threshold_cents=0).threshold_cents == 0
    with pytest.raises(ValueError, match="quota"):
        RankingRule()  # the default method needs a quota


def test_with_quota_changes_only_a_quota_line_rule() -> None:
    rule = RankingRule("quota_line", 6000, 100, (MEDICAL,), "ref")
    assert rule.with_quota(5) == RankingRule("quota_line", 5, 100, (MEDICAL,), "ref")
    assert rule.with_quota(None) is rule
    shanghai = RankingRule("threshold", threshold_cents=12000)
    assert shanghai.with_quota(5) is shanghai


def test_rank_results_is_beijings_rule() -> None:
    outcome = rank_results([("2", 100), ("1", 100), ("3", 50)], quota=1)
    assert outcome.method == "quota_line" and outcome.quota == 1
    assert listing(outcome) == [("1", 1, True), ("2", 1, True), ("3", 3, False)]


# ---------------------------------------------------------------- [ranking] in the rule set


def _cents(value: object, where: str) -> int:
    return round(float(value) * 100)  # type: ignore[arg-type]


def test_parse_ranking_reads_every_field() -> None:
    rule = parse_ranking(
        {
            "method": "quota_line",
            "quota": 5000,
            "threshold": 60,
            "reference": "穗府办规〔2018〕13号",
            "tie_breaks": [
                {"key": "facts.medical_years", "name": "医疗保险年限"},
                {"key": "facts.permit_years", "order": "asc"},
            ],
        },
        _cents,
    )
    assert rule == RankingRule(
        "quota_line",
        5000,
        6000,
        (
            TieBreak("facts.medical_years", "desc", "医疗保险年限"),
            TieBreak("facts.permit_years", "asc", ""),
        ),
        "穗府办规〔2018〕13号",
    )


def test_parse_ranking_threshold_without_quota() -> None:
    rule = parse_ranking({"method": "threshold", "threshold": 120}, _cents)
    assert rule == RankingRule("threshold", None, 12000, (), "")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({}, "^ranking.method must be one of quota_line, threshold$"),
        ({"method": "lottery"}, "^ranking.method must be one of quota_line, threshold$"),
        ({"method": "quota_line"}, "^quota must be at least 1$"),
        ({"method": "quota_line", "quota": 0}, "^quota must be at least 1$"),
        (
            {"method": "quota_line", "quota": 6000.5},
            r"^ranking.quota must be a whole number, not 6000.5$",
        ),
        (
            {"method": "quota_line", "quota": "6000"},
            "^ranking.quota must be a whole number, not '6000'$",
        ),
        ({"method": "quota_line", "quota": True}, "^ranking.quota must be a whole number"),
        ({"method": "threshold"}, "^the threshold method needs a threshold$"),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": [{"order": "asc"}]},
            r"^ranking.tie_breaks\[0\] needs a key$",
        ),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": [{"key": "a"}, "b"]},
            r"^ranking.tie_breaks\[1\] needs a key$",
        ),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": [{"key": ""}]},
            r"^ranking.tie_breaks\[0\] needs a key$",
        ),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": [{"key": "a", "order": "up"}]},
            "^tie break a: order must be desc or asc$",
        ),
    ],
)
def test_parse_ranking_refuses_with_its_message(section: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_ranking(section, _cents)


def test_the_shipped_rule_sets_rank_by_the_beijing_line() -> None:
    for name in ("beijing-2016", "beijing-2020"):
        rs = load_rule_set(name)
        assert rs.ranking.method == "quota_line" and rs.ranking.quota == 6000
        assert rs.ranking.threshold_cents is None and rs.ranking.tie_breaks == ()
        assert rs.ranking.reference
        assert rs.ranking.with_quota(10).quota == 10


def test_a_rule_set_with_another_citys_ranking_is_configuration() -> None:
    data = copy.deepcopy(_read("beijing-2020"))
    data["ranking"] = {
        "method": "threshold",
        "threshold": 120,
        "tie_breaks": [{"key": "indicators.tax", "order": "desc", "name": "纳税"}],
        "reference": "沪府发〔2013〕40号",
    }
    rs = compile_rule_set(data)
    assert rs.ranking_method == "threshold" and rs.quota == 0
    assert rs.ranking.threshold_cents == 12000
    assert rs.ranking.tie_breaks == (TieBreak("indicators.tax", "desc", "纳税"),)


@pytest.mark.parametrize(
    ("ranking", "message"),
    [
        ({"method": "threshold"}, "beijing-2020: the threshold method needs a threshold"),
        (
            {"method": "quota_line", "quota": 1, "threshold": "x"},
            "beijing-2020: ranking.threshold: not a number: 'x'",
        ),
        (
            {"method": "quota_line", "quota": 1, "tie_breaks": [{}]},
            r"beijing-2020: ranking.tie_breaks\[0\] needs a key",
        ),
    ],
)
def test_a_rule_set_with_a_bad_ranking_is_refused(ranking: dict, message: str) -> None:
    data = copy.deepcopy(_read("beijing-2020"))
    data["ranking"] = ranking
    with pytest.raises(RuleSetError, match=message):
        compile_rule_set(data)


# ---------------------------------------------------------------- properties

_candidates = st.lists(
    st.tuples(st.integers(1, 60), st.integers(0, 40), st.integers(0, 3)),
    max_size=40,
    unique_by=lambda t: t[0],
).map(lambda rows: [Candidate(str(no), total, (tie,)) for no, total, tie in rows])


@settings(max_examples=200, deadline=None)
@given(_candidates, st.integers(1, 45), st.data())
def test_property_the_quota_line(cs: list[Candidate], quota: int, data: st.DataObject) -> None:
    rule = beijing(quota)
    plain = [Candidate(c.application_no, c.total_cents) for c in cs]
    outcome = rank(plain, rule)
    totals = sorted((c.total_cents for c in plain), reverse=True)
    # The line is the quota-th total (or the last one), everyone at or above it admitted.
    expected_line = totals[min(quota, len(totals)) - 1] if totals else None
    assert outcome.line_cents == expected_line
    assert outcome.admitted == sum(
        1 for t in totals if expected_line is not None and t >= expected_line
    )
    assert outcome.admitted >= min(quota, len(totals))
    # A rank is one more than the number strictly better; the listing is by total then number.
    for e in outcome.entries:
        assert e.rank == 1 + sum(1 for t in totals if t > e.total_cents)
        assert e.admitted == (e.total_cents >= expected_line)
    keys = [(-e.total_cents, int(e.application_no)) for e in outcome.entries]
    assert keys == sorted(keys)
    # The input order does not matter.
    shuffled = data.draw(st.permutations(plain))
    assert rank(shuffled, rule) == outcome


@settings(max_examples=200, deadline=None)
@given(_candidates, st.integers(1, 45), st.sampled_from(["asc", "desc"]))
def test_property_tie_breaks_refine_without_changing_the_total_order(
    cs: list[Candidate], quota: int, order: str
) -> None:
    plain = rank([Candidate(c.application_no, c.total_cents) for c in cs], beijing(quota))
    chained = rank(cs, beijing(quota, TieBreak("t", order)))
    # Totals come in the same order; ranks only split, never merge; never more admitted.
    assert [e.total_cents for e in chained.entries] == [e.total_cents for e in plain.entries]
    ranks = {e.application_no: e.rank for e in plain.entries}
    for e in chained.entries:
        assert e.rank >= ranks[e.application_no]
    assert min(quota, len(cs)) <= chained.admitted <= plain.admitted
    assert chained.line_cents == plain.line_cents
    shared = {}
    for e in chained.entries:
        shared.setdefault(e.rank, set()).add((e.total_cents, e.ties))
    assert all(len(keys) == 1 for keys in shared.values())
