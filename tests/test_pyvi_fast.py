"""pyvi_fast must give exactly pyvi's segmentation, for every input."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import random
import threading
import unicodedata
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from vn_search.analysis import pyvi_fast

with warnings.catch_warnings():
    # pyvi's regexes use invalid escapes, which warn on Python 3.12+.
    warnings.simplefilter("ignore")
    from pyvi import ViTokenizer

VIETNEWS_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "vietnews" / "test.jsonl.gz"

TRICKY = [
    # ordinary news sentences
    "Những cán bộ được Ban Thường vụ Huyện ủy Bắc Hà điều động, luân chuyển",
    "Theo lời khai của Huy tại phiên toà, để có tiền sử dụng cá nhân, Huy “nổ” là sĩ quan",
    "Tin lời, vợ chồng ông Bảo Th., ngụ quận Hải Châu, đưa cho Huy hơn 1 tỷ đồng.",
    "Tôi đi học. Anh ấy đi làm! Còn bạn?",
    # Unicode forms and tone placement
    unicodedata.normalize("NFD", "Thủ tướng Chính phủ Phạm Minh Chính phát biểu"),
    unicodedata.normalize("NFD", "Hoà bình, thuỷ điện, khoẻ mạnh"),
    "Hoà bình, thuỷ điện, khoẻ mạnh, uỷ ban",
    "Hòa bình, thủy điện, khỏe mạnh, ủy ban",
    "Đồng chí Đỗ Đức Duy; Đ. Đ. Đ; đ Đ",
    "Hà\u200bNội, Hà\u00a0Nội\tmùa thu",
    # ALL-CAPS headlines and abbreviations
    "ĐẠI THẮNG MÙA XUÂN NĂM 1975",
    "CHUNG KẾT AFF CUP: VIỆT NAM THẮNG 3-0",
    "UBND tỉnh Lào Cai, HĐND, TAND TP. Đà Nẵng, TP.HCM",
    "Mr. Smith gặp Mrs. Lan, Ms. Hoa, Dr. Who và ThS. Nguyễn Văn A tại Tp. Vinh",
    "A.B.C. và Đ.T.Q. cùng Covid-19, F0, SARS-CoV-2",
    # URLs and e-mails
    "Xem chi tiết tại https://baolaocai.vn/a-b.html nhé.",
    "https://baolaocai.vn/a-b.html",
    "Nguồn: http://www.baomoi.com/a/c/2541492.epi (ảnh: TTXVN)",
    "Liên hệ toasoan@baolaocai.vn hoặc ban.bien-tap@tuoitre.com.vn, user_name@example.com.vn",
    # numbers, money, dates
    "Diện tích 147,8 ha lúa bị ngập, tăng 65,87% so với cùng kỳ",
    "Giá 1.000.000 đ/tháng, iPhone 15 Pro Max giá 34.990.000đ",
    "Ngày 1/4/1975, lúc 14h30 ngày 30-4-1975, 10:30 AM GMT+7",
    "xổ số 6x36 là 07 08 10 12 15 16; 123, 1,5, 1_000, 2.3.4",
    "Quang Hải (số 19) ghi bàn phút 90+2",
    # emoji, other scripts, odd letters
    "Chúc mừng năm mới 🎉🎆 An khang thịnh vượng 🧧",
    "Hà Nội 😘 thời tiết, đẹp",
    "Tokyo 東京 và Москва, Σίσυφος ΣΑΣ, ǅa, İstanbul, Ⅻ, x², ٣",
    # empty, blank, line breaks
    "",
    "   ",
    "\t",
    "a\nb",
    "\n",
    "Dòng một\nDòng hai\n\nDòng bốn\n",
    "  khoảng   trắng  thừa  ",
    # punctuation only, specials
    "!!!",
    "...?!",
    "—–-•…“”‘’«»()[]{}",
    "==> Xem thêm ->> tại đây >> ...",
    # control characters, a NUL inside a URL
    "\x00 null http://a\x00b c",
    # a long line
    " ".join(["Người dân Hà Nội xếp hàng mua vàng, giá tăng 200.000 đồng."] * 20),
]


@pytest.mark.parametrize("text", TRICKY)
def test_tokenize_equals_pyvi_on_tricky_text(text):
    assert pyvi_fast.tokenize(text) == ViTokenizer.tokenize(text)
    assert pyvi_fast.tokenize(text, cache=False) == ViTokenizer.tokenize(text)


@pytest.mark.parametrize("text", TRICKY)
def test_tokenize_words_is_the_split_tokenization(text):
    words = pyvi_fast.tokenize_words(text)
    if words:
        assert words == ViTokenizer.tokenize(text).split(" ")
    else:  # no syllables at all: pyvi hands the text back untouched
        assert ViTokenizer.tokenize(text) == text


def test_docstring_example():
    assert pyvi_fast.tokenize_words("Cán bộ luân chuyển") == ["Cán_bộ", "luân_chuyển"]


def _real_sentences(count: int = 500, seed: int = 1975) -> list[str]:
    """Lines and sentences from the first 1,500 vietnews test articles."""
    if not VIETNEWS_TEST.exists():
        pytest.skip(f"real data not found: {VIETNEWS_TEST}")
    lines = []
    with gzip.open(VIETNEWS_TEST, "rt", encoding="utf-8") as fin:
        for number, raw in enumerate(fin):
            if number == 1500:
                break
            article = json.loads(raw)
            lines += [article["title"], article["summary"], *article["body"].split("\n")]
    return random.Random(seed).sample([line for line in lines if line.strip()], count)


@pytest.fixture(scope="module")
def real_sentences():
    return _real_sentences()


def test_tokenize_equals_pyvi_on_real_sentences(real_sentences):
    pyvi_fast.clear_caches()
    mismatches = [
        (text, ViTokenizer.tokenize(text), pyvi_fast.tokenize(text))
        for text in real_sentences
        if pyvi_fast.tokenize(text) != ViTokenizer.tokenize(text)
    ]
    assert mismatches == []


def _assert_labels_equal_crfsuite(texts):
    """Stronger than comparing output: every B_W/I_W label, punctuation
    included, equals what pycrfsuite's tagger gives on pyvi's feature dicts."""
    pyvi = ViTokenizer.ViTokenizer  # the class behind pyvi's module functions
    model = pyvi_fast._load_model()
    for text in texts:
        _, syllables = pyvi.sylabelize(text)
        if not syllables:
            continue
        expected = pyvi.model.predict_single(pyvi.sent2features(syllables, False))
        facts = pyvi_fast._describe_all(syllables, model)
        inside = pyvi_fast._viterbi(pyvi_fast._label_scores(facts, model), model.transition)
        assert ["I_W" if flag else "B_W" for flag in inside] == expected, text


def test_labels_equal_crfsuite_on_tricky_text():
    _assert_labels_equal_crfsuite(TRICKY)


def test_labels_equal_crfsuite_on_real_sentences(real_sentences):
    _assert_labels_equal_crfsuite(real_sentences)


def test_two_threads_get_their_own_results(monkeypatch):
    # Start from an unloaded model so both threads also race to load it.
    monkeypatch.setattr(pyvi_fast, "_model", None)
    pyvi_fast.clear_caches()
    texts = {
        "a": TRICKY[:20] * 10,
        "b": TRICKY[20:] * 10,
    }
    expected = {key: [ViTokenizer.tokenize(t) for t in batch] for key, batch in texts.items()}
    results: dict[str, list[str]] = {}
    start = threading.Barrier(2)

    def work(key):
        start.wait()
        results[key] = [pyvi_fast.tokenize(t, cache=False) for t in texts[key]]

    threads = [threading.Thread(target=work, args=(key,)) for key in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} on this platform")
    pyvi_fast.tokenize("nạp mô hình trước khi fork")  # a fork inherits the loaded model
    texts = TRICKY[:12]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context(method)) as pool:
        got = list(pool.map(pyvi_fast.tokenize, texts))
    assert got == [ViTokenizer.tokenize(t) for t in texts]


def test_module_source_compiles_without_warnings():
    source = Path(pyvi_fast.__file__).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # invalid escapes: DeprecationWarning / SyntaxWarning
        compile(source, pyvi_fast.__file__, "exec")
