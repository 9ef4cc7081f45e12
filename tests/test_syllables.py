"""The set of Vietnamese syllables, generated from the spelling rules."""

import importlib.util
import unicodedata
from pathlib import Path

import pytest

from vn_search.analysis.normalize import normalize_syllable
from vn_search.analysis.syllables import SYLLABLES_PATH, generate, is_syllable

ROOT = Path(__file__).resolve().parents[1]

# Real news text (Thanh Niên / VnExpress style), every word one syllable.
NEWS = """
Sáng nay Thủ tướng Chính phủ đã chủ trì cuộc họp trực tuyến với các tỉnh
thành phố về công tác phòng chống dịch bệnh và phục hồi kinh tế sau đại dịch
Theo báo cáo của Bộ Kế hoạch và Đầu tư tổng vốn đầu tư nước ngoài đăng ký vào
Việt Nam trong quý đầu năm tăng mạnh so với cùng kỳ năm ngoái
Người dân ở Hà Nội Đà Nẵng và Thành phố Hồ Chí Minh xếp hàng mua vàng từ sớm
giá vàng miếng hôm nay tiếp tục giảm nhẹ khiến nhiều nhà đầu tư lo lắng
Đội tuyển bóng đá quốc gia giành chiến thắng thuyết phục trước đối thủ khó chịu
huấn luyện viên khen ngợi tinh thần chiến đấu của các cầu thủ trẻ
Mưa lớn kéo dài gây ngập lụt nghiêm trọng ở nhiều huyện miền Trung
hàng nghìn hộ dân phải sơ tán khẩn cấp lực lượng cứu hộ túc trực suốt đêm
Ông Nguyễn Văn Hưởng nguyên giám đốc sở bị khởi tố về tội lợi dụng chức vụ
quyền hạn trong khi thi hành công vụ cơ quan điều tra đang làm rõ sai phạm
khuỷu tay ngoằn ngoèo thuở ấy giếng nước giữ gìn khuya khoắt oẳn tù tì
huơ tay quặp lại khuấy động huých nhau nguệch ngoạc khuếch đại hoặc xoáy
boong tàu nồi xoong xe buýt tuýp thuốc con voọc hươu nai rượu bia bướu cổ
yêu thương uyên bác ủy ban Đắk Lắk Bắc Kạn Kon Tum Krông Búk ngoạm chửi
""".split()


def test_real_news_words_are_syllables():
    assert [word for word in NEWS if not is_syllable(word)] == []


@pytest.mark.parametrize(
    "word",
    ["trump", "news", "moscow", "windows", "facebook", "samsung", "iphone", "google",
     "bôk", "viejet", "cvid", "ptin", "putin", "messi", "covid", "2020", "u23", ""],
)  # fmt: skip
def test_foreign_words_and_junk_are_not_syllables(word):
    assert not is_syllable(word)


@pytest.mark.parametrize("word", ["kim", "an", "tin", "ha", "nam", "y", "quy", "gi"])
def test_plain_strings_that_spell_a_syllable(word):
    assert is_syllable(word)


@pytest.mark.parametrize(
    "good, bad",
    [
        ("cáp", "càp"), ("cạp", "cảp"), ("tốt", "tổt"), ("tộc", "tỗc"), ("ếch", "ềch"),
        ("ịch", "ĩch"), ("kịp", "kip"),  # a stop coda takes sắc or nặng, never ngang
    ],
)  # fmt: skip
def test_stop_codas_take_only_sac_or_nang(good, bad):
    assert is_syllable(good) and not is_syllable(bad)


@pytest.mark.parametrize(
    "good, bad",
    [
        ("kê", "cê"), ("ki", "ci"), ("ca", "ka"), ("cu", "ku"), ("quy", "cuy"),
        ("ghế", "gế"), ("ga", "gha"), ("nghe", "nge"),
        ("ngà", "nghà"), ("anh", "onh"), ("ích", "ưch"), ("tiếng", "tíng"),
        ("yên", "iên"), ("tiên", "tyên"), ("gìn", "giin"), ("hoa", "hoă"),
    ],
)  # fmt: skip
def test_spelling_rules(good, bad):
    assert is_syllable(good) and not is_syllable(bad)


def test_case_form_and_tone_placement_do_not_matter():
    for typed in ["HÒA", "Hoà", "hoà", unicodedata.normalize("NFD", "hòa"), "thuý", "KHOẺ", "mơí"]:
        assert is_syllable(typed), typed


def test_generated_syllables_use_the_projects_tone_placement():
    syllables = generate()
    assert "hòa" in syllables and "hoà" not in syllables
    assert "thúy" in syllables and "khỏe" in syllables and "người" in syllables
    assert all(normalize_syllable(s) == s == unicodedata.normalize("NFC", s) for s in syllables)
    assert syllables == sorted(set(syllables))


def test_count_is_that_of_the_rules_not_of_the_lexicon():
    # ~6,700 syllables are in use; the rules allow every tone on every open
    # or nasal syllable, about twice that.
    assert 10_000 < len(generate()) < 16_000


def test_shipped_file_is_what_the_rules_generate():
    lines = SYLLABLES_PATH.read_text(encoding="utf-8").splitlines()
    assert SYLLABLES_PATH == ROOT / "src" / "vn_search" / "data" / "syllables.txt"
    assert lines[0].startswith("#") and "tools/make_syllables.py" in lines[0]
    assert lines[1:] == generate()


def test_make_syllables_check_passes():
    spec = importlib.util.spec_from_file_location("make_syllables", ROOT / "tools" / "make_syllables.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--check"]) == 0
