"""Restoring the diacritics of unaccented queries (vn_search.accents)."""

from __future__ import annotations

import gzip
import itertools
import json
import pickle
import random
import re
import unicodedata

import numpy as np
import pytest
from conftest import SHARED_DATA

from vn_search.analysis.fold import fold_text
from vn_search.analysis.normalize import normalize_text
from vn_search.accents import AccentModel

# News sentences in the style of the corpus, with what trips a restorer up:
# Đ/đ, capitalised names, numbers and dates, a URL, the same folded syllable
# meaning different words (can: cán, căn, cần; bo: bộ, bỏ, bò; ho: hộ, hồ),
# and old-style tone placement (hoà) that must meet the new style (hòa).
SENTENCES = [
    "Bộ Chính trị quyết định luân chuyển cán bộ lãnh đạo về các địa phương.",
    "Việc luân chuyển cán bộ giúp rèn luyện cán bộ trẻ qua thực tiễn.",
    "Tỉnh ủy Đắk Lắk công bố quyết định luân chuyển cán bộ chủ chốt.",
    "Cán bộ, công chức phải gương mẫu chấp hành pháp luật.",
    "Giá vàng hôm nay tăng mạnh, vàng SJC lên 37 triệu đồng mỗi lượng.",
    "Giá vàng hôm nay giảm nhẹ sau phiên tăng mạnh hôm qua.",
    "Người dân Hà Nội xếp hàng mua vàng trong ngày vía Thần Tài.",
    "Sáng 30/4, Hà Nội tổ chức lễ kỷ niệm ngày giải phóng miền Nam 30/4/1975.",
    "Ngày 1/4/1975, tỉnh Phú Yên được hoàn toàn giải phóng.",
    "Đà Nẵng đón hơn 3 triệu lượt khách du lịch trong năm 2017.",
    "Công an thành phố Đà Nẵng đang điều tra vụ tai nạn giao thông.",
    "Đại hội Đảng bộ thành phố Hà Nội diễn ra từ ngày 13 đến 15/10/2015.",
    "Căn hộ chung cư ở Hà Nội tăng giá trong quý I.",
    "Nhiều căn hộ chung cư cao cấp được chào bán với giá thấp.",
    "Cần thiết phải có giải pháp cho người mua căn hộ.",
    "Chính phủ cần có chính sách hỗ trợ người dân vùng lũ.",
    "Căn nhà bị cháy rụi trong đêm.",
    "Thịt bò nhập khẩu được bán tại các siêu thị ở Thành phố Hồ Chí Minh.",
    "Cử tri đi bỏ phiếu bầu đại biểu Quốc hội khóa XIV.",
    "Ông Nguyễn Văn Bình được bầu làm Trưởng ban Kinh tế Trung ương.",
    "Thông tin chi tiết xem tại https://vnexpress.net/kinh-doanh/gia-vang-hom-nay.html.",
    "Theo Tổng cục Thống kê, GDP quý III tăng 6,88%.",
    "Đội tuyển U23 Việt Nam giành ngôi á quân giải châu Á.",
    "Hồ Gươm là biểu tượng của thủ đô Hà Nội.",
    "Đường Trường Sơn được mở ngày 19/5/1959.",
    "Trận mưa lớn gây ngập nhiều tuyến phố ở Hà Nội.",
    "Bộ Y tế khuyến cáo người dân tiêm vắc xin phòng bệnh.",
    "Các bộ, ngành cần khẩn trương hoàn thiện hồ sơ.",
    "Thủ tướng yêu cầu các địa phương báo cáo trước ngày 15/6.",
    "Học sinh Hà Nội bước vào kỳ thi tuyển sinh lớp 10.",
    "Giá xăng giảm từ 15 giờ chiều nay.",
    "Ngân hàng Nhà nước điều chỉnh tỷ giá trung tâm.",
    "Nông dân Đồng Tháp trúng mùa lúa.",
    "Lực lượng chức năng đã bắt giữ đối tượng vận chuyển ma túy.",
    "Hôm nay, trời Hà Nội nắng nóng trên 38 độ C.",
    "Hội nghị bàn về hợp tác, hoà bình và phát triển bền vững.",
    "Việt Nam mong muốn hoà bình, ổn định ở khu vực.",
]


def train(texts: list[str]) -> AccentModel:
    model = AccentModel()
    for text in texts:
        model.add_text(text)
    return model


@pytest.fixture(scope="module")
def model() -> AccentModel:
    return train(SENTENCES)


@pytest.mark.parametrize("typed, expected", [
    ("luan chuyen can bo", "luân chuyển cán bộ"),
    ("gia vang hom nay", "giá vàng hôm nay"),
    ("can ho chung cu", "căn hộ chung cư"),
    ("can thiet", "cần thiết"),
    ("thit bo", "thịt bò"),
    ("bo phieu", "bỏ phiếu"),
    ("hoa binh", "hòa bình"),  # trained on "hoà": normalised to one form
])
def test_restores_the_words_the_context_calls_for(model, typed, expected):
    assert model.restore(typed) == expected


@pytest.mark.parametrize("typed, expected", [
    ("Ha Noi", "Hà Nội"),
    ("HA NOI", "HÀ NỘI"),
    ("Luan chuyen CAN BO", "Luân chuyển CÁN BỘ"),
    ("Da Nang", "Đà Nẵng"),
    ("DA NANG", "ĐÀ NẴNG"),
])
def test_keeps_the_users_case(model, typed, expected):
    assert model.restore(typed) == expected


def test_keeps_punctuation_numbers_and_urls(model):
    assert model.restore("gia vang hom nay (30/4/1975), Ha Noi!") == "giá vàng hôm nay (30/4/1975), Hà Nội!"
    assert model.restore("ngay 1/4/1975") == "ngày 1/4/1975"
    assert model.restore("  gia   vang  ") == "giá vàng"  # spacing as normalize_query leaves it
    url = "https://vnexpress.net/kinh-doanh/gia-vang-hom-nay.html"
    assert model.restore(url).startswith("https://vnexpress.net/kinh-doanh/")


def test_unknown_words_stay_as_typed(model):
    assert model.restore("Xyzzy qwerty") == "Xyzzy qwerty"
    assert model.restore("can bo Xyzzy") == "cán bộ Xyzzy"
    assert model.suggest("Xyzzy qwerty") is None


def test_partly_accented_query_keeps_the_users_accents(model):
    assert model.restore("luan chuyển can bo") == "luân chuyển cán bộ"
    # The typed syllable is context for its neighbours: after "căn", "ho" is hộ.
    assert model.restore("căn ho") == "căn hộ"
    # Even an accent the model would not pick stays.
    assert model.restore("cân bo").startswith("cân ")


def test_suggest(model):
    assert model.suggest("luan chuyen can bo") == "luân chuyển cán bộ"
    assert model.suggest("Gia vang hom nay") == "Giá vàng hôm nay"
    assert model.suggest("luân chuyển cán bộ") is None  # nothing left to add
    assert model.suggest("hoà bình") is None  # the same query once normalised
    assert model.suggest("1/4/1975") is None
    assert model.suggest("") is None


def test_empty_model_changes_nothing():
    empty = AccentModel()
    assert empty.restore("gia vang") == "gia vang"
    assert empty.suggest("gia vang") is None


def test_training_text_is_normalised_first(model):
    decomposed = train([unicodedata.normalize("NFD", s) for s in SENTENCES])
    assert decomposed == model


def test_merge_equals_training_on_the_union(model):
    first, second = train(SENTENCES[:15]), train(SENTENCES[15:])
    first.merge(second)
    assert first == model
    assert first.restore("luan chuyen can bo tai Ha Noi") == model.restore("luan chuyen can bo tai Ha Noi")


def test_pickles_for_worker_processes(model):
    copy = pickle.loads(pickle.dumps(model))
    assert copy == model
    assert copy.restore("gia vang hom nay") == "giá vàng hôm nay"


def test_save_and_load_round_trip(model, tmp_path, monkeypatch):
    monkeypatch.setattr(AccentModel, "MIN_TRIGRAM_COUNT", 1)
    monkeypatch.setattr(AccentModel, "MIN_BIGRAM_COUNT", 1)
    model.save(tmp_path / "model.npz")
    loaded = AccentModel.load(tmp_path / "model.npz")
    assert loaded == model
    for query in ("luan chuyen can bo", "Ha Noi", "can ho chung cu", "bo phieu"):
        assert loaded.restore(query) == model.restore(query)


def test_pruned_model_still_restores_and_can_learn_more(model, tmp_path):
    model.save(tmp_path / "model.npz")
    loaded = AccentModel.load(tmp_path / "model.npz")
    assert loaded.restore("luan chuyen can bo") == "luân chuyển cán bộ"
    assert loaded.restore("ca phe") == "ca phe"
    loaded.add_text("Giá cà phê xuất khẩu tăng. Cà phê Tây Nguyên được mùa.")
    loaded.save(tmp_path / "more.npz")
    updated = AccentModel.load(tmp_path / "more.npz")
    assert updated.restore("gia ca phe") == "giá cà phê"
    assert updated.restore("Ha Noi") == "Hà Nội"


def test_load_refuses_files_that_are_not_models(model, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="junk.npz"):
        AccentModel.load(junk)
    pickled = tmp_path / "pickled.npz"
    pickled.write_bytes(pickle.dumps(model))
    with pytest.raises(ValueError, match="pickled.npz"):
        AccentModel.load(pickled)
    with_objects = tmp_path / "objects.npz"
    np.savez(with_objects, header=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(ValueError, match="objects.npz"):
        AccentModel.load(with_objects)


def test_load_refuses_ngrams_naming_missing_words(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path) as stored:
        arrays = dict(stored)
    words = bytes(arrays["words"]).decode().split("\n")
    arrays["words"] = np.frombuffer("\n".join(words[:-5]).encode(), np.uint8)
    arrays["unigrams"], arrays["cased"] = arrays["unigrams"][:-5], arrays["cased"][:-5]
    np.savez_compressed(tmp_path / "cut.npz", **arrays)
    with pytest.raises(ValueError, match="cut.npz.*unknown words"):
        AccentModel.load(tmp_path / "cut.npz")


# --- real articles -----------------------------------------------------------

VIETNEWS = SHARED_DATA / "vietnews"
_SYLLABLE = re.compile(r"[^\W\d_]+")


def _records(path, limit):
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in itertools.islice(lines, limit):
            yield json.loads(line)


def _strip(text: str) -> str:
    folded = fold_text(text)
    return "".join(f.upper() if t.isupper() else f for t, f in zip(text, folded))


@pytest.mark.slow
def test_restores_unseen_headlines_after_2000_real_articles():
    if not (VIETNEWS / "test.jsonl.gz").exists() or not (VIETNEWS / "val.jsonl.gz").exists():
        pytest.skip("../shared/data is not present")
    model = AccentModel()
    for record in _records(VIETNEWS / "test.jsonl.gz", 2000):
        for field in ("title", "summary", "body"):
            model.add_text(record.get(field) or "")
    headlines = [normalize_text(r["title"]) for r in _records(VIETNEWS / "val.jsonl.gz", 2000)]
    headlines = random.Random(13).sample(headlines, 40)
    right = total = 0
    for headline in headlines:
        restored = model.restore(_strip(headline))
        expected = _SYLLABLE.findall(headline.lower())
        got = _SYLLABLE.findall(normalize_text(restored).lower())
        assert len(got) == len(expected), (headline, restored)
        right += sum(e == g for e, g in zip(expected, got))
        total += len(expected)
    assert right / total >= 0.88, f"{right}/{total} syllables restored"
    assert model.suggest(_strip(headlines[0])) is not None
    assert model.suggest(headlines[0]) is None
