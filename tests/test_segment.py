"""Segmentation: pyvi words, with the quirks worked around."""

import unicodedata

from vn_search.analysis.normalize import normalize_text
from vn_search.analysis.segment import segment, segment_terms
from vn_search.analysis.terms import field_terms, words_of


def words(text):
    return [w.text for w in segment(text)]


def test_compound_words_are_merged():
    lowered = [w.replace(" ", "_").lower() for w in words("Cộng hòa Xã hội chủ nghĩa Việt Nam")]
    assert lowered == ["cộng_hòa", "xã_hội", "chủ_nghĩa", "việt_nam"]


def test_offsets_point_into_the_original_text():
    text = "Những cán bộ được Ban Thường vụ Huyện ủy Bắc Hà điều động, luân chuyển"
    for word in segment(text):
        assert text[word.start : word.end] == word.text
    assert "cán bộ" in words(text)
    assert "luân chuyển" in words(text)


def test_url_email_numbers_dates_stay_whole():
    text = "Xem https://baolaocai.vn/hieu-qua.html, gửi toasoan@baolaocai.vn ngày 1/4/1975: 147,8 ha, tăng 65,87%."
    found = words(text)
    assert "https://baolaocai.vn/hieu-qua.html" in found
    assert "toasoan@baolaocai.vn" in found
    assert "1/4/1975" in found
    assert "147,8" in found
    assert "65,87%" in found


def test_lines_never_glue():
    found = words("Việt\nNam")
    assert found == ["Việt", "Nam"]
    assert all(w.breaks for w in segment("Việt\nNam"))


def test_all_caps_segments_like_ordinary_case():
    caps = [w.replace(" ", "_").lower() for w in words("ĐẠI THẮNG MÙA XUÂN NĂM 1975 Ở HÀ NỘI")]
    ordinary = [w.replace(" ", "_").lower() for w in words("Đại thắng mùa xuân năm 1975 ở Hà Nội")]
    assert caps == ordinary
    assert "hà_nội" in caps and "đại_thắng" in caps


def test_nfd_text_segments_like_nfc_after_normalisation():
    nfd = unicodedata.normalize("NFD", "công nghệ thông tin Việt Nam")
    assert words(normalize_text(nfd)) == ["công nghệ", "thông tin", "Việt Nam"]


def test_emoji_and_punctuation_are_not_words_and_break_phrases():
    found = segment("Hà Nội 😘 thời tiết, đẹp")
    assert [w.text for w in found] == ["Hà Nội", "thời tiết", "đẹp"]
    assert found[1].breaks and found[2].breaks


def test_double_spaces_do_not_break_words():
    assert words(normalize_text("không  gian")) == ["không gian"]


def test_field_terms_hold_exact_words_and_folded_bigrams():
    exact, folded = field_terms(segment_terms("Luân chuyển cán bộ"))
    assert set(exact) == {"luân", "chuyển", "cán", "bộ", "luân_chuyển", "cán_bộ"}
    assert set(folded) == {"luan", "chuyen", "can", "bo", "luan_chuyen", "chuyen_can", "can_bo"}
    assert exact["cán"] == [2] and folded["can_bo"] == [2]


def test_bigrams_do_not_cross_punctuation():
    _, folded = field_terms(segment_terms("Hà Nội, Đà Nẵng"))
    assert "ha_noi" in folded and "da_nang" in folded
    assert "noi_da" not in folded


def test_fast_indexing_path_gives_the_same_terms_as_segment():
    from vn_search import sample_path

    text = normalize_text((sample_path() / "bac-ha-luan-chuyen-can-bo.txt").read_text(encoding="utf-8"))
    text += "\nĐẠI THẮNG MÙA XUÂN 1975 ở TP. HCM, gửi a.b@baolaocai.vn https://x.vn/a 😘 65,87%"
    assert field_terms(segment_terms(text)) == field_terms(words_of(segment(text)))
