"""column_fit's quick path for lists of strings (a bulk import fits two a row): every item short and
storable is left as it is, whatever the list's total length; anything else goes through fit()."""

from __future__ import annotations

from app.column_fit import MARK, _all_sure, fit_values_changed
from app.llamalog.tables import LlamaLog


def test_a_list_longer_in_all_than_a_column_but_short_item_by_item_is_left_as_it_is() -> None:
    items = ["x" * 50, "y" * 50, "z" * 50]  # fields_enriched: varchar(50) items, 150 together
    values, cut = fit_values_changed(LlamaLog, {"fields_enriched": items})
    assert (values["fields_enriched"], cut) == (items, [])
    assert _all_sure(items, 50)


def test_a_long_item_a_nul_or_a_lone_surrogate_is_fitted_and_named() -> None:
    for bad, fitted in (
        ("w" * 51, "w" * (50 - len(MARK)) + MARK),
        ("a\x00b", "ab"),
        ("a\ud800b", "ab"),
    ):
        assert not _all_sure(["ok", bad], 50)
        values, cut = fit_values_changed(LlamaLog, {"fields_enriched": ["ok", bad]})
        assert values["fields_enriched"][0] == "ok"
        assert values["fields_enriched"][1] == fitted
        assert cut == ["fields_enriched"]


def test_an_item_that_is_not_a_string_is_not_sure_and_an_empty_list_is() -> None:
    assert not _all_sure(["a", 1], 50)  # type: ignore[list-item]
    assert _all_sure([], 50)
    assert _all_sure((), 50)
