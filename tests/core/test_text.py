"""Input typed through a Chinese input method: full-width forms folded, other digits found."""

import pytest

from jifen.core.text import describe_char, foreign_digit, halfwidth


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("１１０１０５１９７６０１１５２３４Ｘ", "11010519760115234X"),
        ("２０１５－０７", "2015-07"),
        ("ｄｗ２３４５", "dw2345"),
        ("１３８　００１３　８０００", "138 0013 8000"),
        ("１０００００．５０", "100000.50"),
        ("plain 123", "plain 123"),
        ("北京市海淀区", "北京市海淀区"),
    ],
)
def test_full_width_forms_become_ascii(typed: str, plain: str) -> None:
    assert halfwidth(typed) == plain


def test_only_the_full_width_block_is_folded() -> None:
    # Circled and superscript digits are not full-width forms: they stay (and are refused later).
    assert halfwidth("①²") == "①²"
    assert halfwidth("～") == "~"  # U+FF5E, the last of the block
    assert halfwidth("｟") == "｟"  # U+FF5F, just past it


@pytest.mark.parametrize("typed", ["٢٠٢٤", "۲۰۲۴", "२०२४", "2015-0٧", "١"])
def test_other_scripts_digits_are_found(typed: str) -> None:
    found = foreign_digit(typed)
    assert found is not None and not ("0" <= found <= "9")
    assert found in typed


@pytest.mark.parametrize("typed", ["2015-07", "", "abc", "１２３"])
def test_ascii_and_full_width_digits_are_not_foreign(typed: str) -> None:
    assert foreign_digit(halfwidth(typed)) is None


def test_a_foreign_digit_is_named_in_the_message() -> None:
    assert describe_char("٢") == "“٢”（ARABIC-INDIC DIGIT TWO）"
