"""Vietnamese typed as raw Telex or VNI keystrokes, input method off."""

import pytest

from vn_search.analysis.keystrokes import decode_query, keystroke_readings


@pytest.mark.parametrize(
    "typed, reading",
    [
        # Telex: tone at the end, or right after the vowels before the coda.
        ("vieetj", "việt"), ("vieejt", "việt"), ("Vieetj", "Việt"), ("VIEETJ", "VIỆT"),
        ("nooij", "nội"), ("ddaays", "đấy"), ("quangr", "quảng"), ("dduowngf", "đường"),
        ("nguowif", "người"), ("thuyr", "thủy"), ("hoaf", "hòa"), ("khoer", "khỏe"),
        ("Ddaf", "Đà"), ("Nawngx", "Nẵng"), ("TIEENGS", "TIẾNG"), ("tw", "tư"), ("nhw", "như"),
        ("huowngs", "hướng"), ("huwowngs", "hướng"), ("hwowngs", "hướng"), ("truongwf", "trường"),
        ("thuowr", "thuở"), ("muwa", "mưa"), ("hoawcj", "hoặc"), ("quaan", "quân"),
        ("giaf", "già"), ("gif", "gì"), ("yeeu", "yêu"), ("khuyeen", "khuyên"),
        ("owr", "ở"), ("ys", "ý"), ("caps", "cáp"), ("booongf", "boòng"),
        # VNI: digits at the end or right after their vowel.
        ("vie6t5", "việt"), ("vie65t", "việt"), ("Vie6t5", "Việt"), ("d9a2", "đà"),
        ("na8ng4", "nẵng"), ("u7o7ng", "ương"), ("uo7ng", "ương"), ("o73", "ở"), ("thuy3", "thủy"),
    ],
)  # fmt: skip
def test_keystrokes_read_as_the_syllable(typed, reading):
    assert keystroke_readings(typed) == [reading]


@pytest.mark.parametrize(
    "word",
    ["Trump", "news", "Moscow", "Windows", "Facebook", "Samsung", "iPhone", "Messi", "Kim",
     "Jong", "Putin", "Google", "covid", "Apple", "Twitter", "Android", "Huawei", "Obama",
     "Biden", "Xiaomi", "Toyota", "Honda", "Nokia", "2020", "U23", "19", "A4", "Su30",
     "as", "is", "of", "w"],
)  # fmt: skip
def test_foreign_words_numbers_and_codes_get_no_reading(word):
    assert keystroke_readings(word) == []


@pytest.mark.parametrize("word", ["nam", "ha", "an", "tin", "Việt", "giá", "nguoi"])
def test_words_without_keystrokes_get_no_reading(word):
    assert keystroke_readings(word) == []


@pytest.mark.parametrize(("typed", "meant"), [
    ("caso", "cáo"), ("Hoofi", "Hồi"), ("masy", "máy"), ("Lafo", "Lào"), ("ddoosi", "đối"), ("laji", "lại"),
    ("coong", "công"), ("boong", "bông"),
])
def test_the_tone_key_right_after_its_vowel_and_words_that_are_syllables_too(typed, meant):
    # Which reading is meant (boong tàu, or bông) is the search's call.
    assert meant in keystroke_readings(typed)


def test_stop_codas_only_read_with_sac_or_nang():
    assert keystroke_readings("caps") == ["cáp"]
    assert keystroke_readings("capf") == [] and keystroke_readings("tooftr") == []
    assert keystroke_readings("toots") == ["tốt"] and keystroke_readings("tootr") == []


def test_a_doubled_tone_key_is_not_vietnamese():
    assert keystroke_readings("ass") == [] and keystroke_readings("vieetjj") == []


@pytest.mark.parametrize(
    "query, rewritten",
    [
        ("vieejt nam", "việt nam"),
        ("Vieetj Nam", "Việt Nam"),
        ("vie6t5 nam", "việt nam"),
        ("Vie6t5 Nam", "Việt Nam"),
        ("ha nooij", "ha nội"),
        ("quangr ninh", "quảng ninh"),
        ("Ddaf Nawngx", "Đà Nẵng"),
        ("d9a2 na8ng4", "đà nẵng"),
        ("giá vàng hom nay", "giá vàng hom nay"),
        ("COVID-19 tai VN-Index", "COVID-19 tai VN-Index"),
        ("Jong-un gawpj Trump", "Jong-un gặp Trump"),
    ],
)
def test_decode_query_rewrites_keystroke_words_only(query, rewritten):
    pieces, cursor = [], 0
    for start, end, readings in decode_query(query):
        pieces += [query[cursor:start], readings[0]]
        cursor = end
    assert "".join(pieces) + query[cursor:] == rewritten


def test_decode_query_spans():
    assert decode_query("tin vieejt nam") == [(4, 10, ["việt"])]
    assert decode_query("") == []
