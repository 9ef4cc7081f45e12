"""Normalisation: the same Vietnamese word, however it was typed, becomes
the same code points."""

import unicodedata

import pytest

from vn_search.analysis.fold import fold_text, has_diacritics
from vn_search.analysis.normalize import normalize_query, normalize_syllable, normalize_text


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("hoà", "hòa"),
        ("thuý", "thúy"),
        ("khoẻ", "khỏe"),
        ("uỷ", "ủy"),
        ("Hoà Bình", "Hòa Bình"),
        ("HOÀ", "HÒA"),
        ("quý", "quý"),
        ("gì", "gì"),
        ("già", "già"),
        ("hoàng", "hoàng"),  # a final consonant: the tone stays on the second vowel
        ("người", "người"),
        ("ngoài", "ngoài"),
        ("khuỷu", "khuỷu"),
    ],
)
def test_one_tone_placement(typed, expected):
    assert normalize_text(typed) == expected


@pytest.mark.parametrize(
    "typed, expected",
    [("mơí", "mới"), ("nhiêù", "nhiều"), ("thúc đâỷ", "thúc đẩy"), ("nghịêm", "nghiệm"), ("lựơng", "lượng")],
)
def test_misplaced_tone_marks_are_repaired(typed, expected):
    assert normalize_text(typed) == expected


def test_underthesea_example_sentence():
    assert normalize_text("Ðảm baỏ chất lựơng phòng thí nghịêm hoá học") == "Đảm bảo chất lượng phòng thí nghiệm hóa học"


def test_nfd_input_becomes_nfc():
    typed = unicodedata.normalize("NFD", "Đường Trường Sơn qua Quảng Bình")
    assert typed != "Đường Trường Sơn qua Quảng Bình"
    assert normalize_text(typed) == "Đường Trường Sơn qua Quảng Bình"


def test_invisible_and_control_characters_are_removed():
    assert normalize_text("Hà\u200bNội\u00ad ngày\x07 1/4") == "HàNội ngày 1/4"
    assert normalize_text("cán\u200d bộ\ufeff") == "cán bộ"


def test_whitespace_is_collapsed_but_lines_kept():
    assert normalize_text("  Cán   bộ \t xã \n\n\n\n Lào  Cai  ") == "Cán bộ xã\n\nLào Cai"
    assert normalize_query("Cán bộ\nxã") == "Cán bộ xã"


def test_urls_numbers_emoji_pass_through():
    text = "Xem https://baolaocai.vn/a-b.html lúc 08:41 ngày 1/4/1975, tăng 65,87% 😘"
    assert normalize_text(text) == text


def test_normalize_syllable_leaves_non_vietnamese_alone():
    for word in ("café", "Nguyễn", "iPhone", "COVID", "2025"):
        assert normalize_syllable(word) == word


def test_fold_removes_tones_hats_and_d_stroke():
    assert fold_text("Đường Trường Sơn, Hòa Bình") == "duong truong son, hoa binh"
    assert fold_text("ĐẠI THẮNG MÙA XUÂN") == "dai thang mua xuan"
    assert fold_text("luân chuyển cán bộ") == "luan chuyen can bo"


def test_fold_does_not_transliterate_other_scripts():
    assert fold_text("北京 Привет 😘") == "北京 привет 😘"


def test_has_diacritics():
    assert has_diacritics("cán")
    assert has_diacritics("Đà")
    assert not has_diacritics("Can Bo")
