"""Abbreviations both ways: every spelling of TP.HCM is one key, CSGT and
"cảnh sát giao thông" find each other, ambiguous ones (ĐT, QH) are decided
by context and never guessed, and articles' own definitions are mined."""

import json
import unicodedata
from importlib import resources

import pytest

from vn_search.analysis.abbreviation_mining import DefinitionCounts, mine_definitions
from vn_search.analysis.abbreviation_keys import abbreviation_key
from vn_search.analysis.abbreviation_meanings import choose_expansions
from vn_search.analysis.abbreviations import AbbreviationTable, TableError, default_table


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# -- keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "spellings, key",
    [
        (["TP.HCM", "TP. HCM", "TPHCM", "TP HCM", "tp hcm", "Tp.HCM", "tphcm", "TP.Hcm"], "tphcm"),
        (["U23", "U.23", "U-23", "u23", "U 23"], "u23"),
        (["GD&ĐT", "GD-ĐT", "GDĐT", "gd&dt", "GD & ĐT", "gd dt", "Gd-Đt"], "gddt"),
        (["UBND", "ubnd", "U.B.N.D"], "ubnd"),
        (["HĐND", "HDND", "hđnd", "hdnd"], "hdnd"),
        (["NN&PTNT", "NN-PTNT", "NNPTNT", "nn & ptnt"], "nnptnt"),
        (["VN-Index", "VN-INDEX", "vnindex"], "vnindex"),
    ],
)
def test_every_spelling_has_one_key(spellings, key):
    assert {abbreviation_key(spelling) for spelling in spellings} == {key}


def test_decomposed_input_gives_the_same_key():
    assert abbreviation_key(nfd("HĐND")) == "hdnd"
    assert abbreviation_key(nfd("NSƯT")) == "nsut"


@pytest.mark.parametrize(
    "text",
    ["Hà Nội", "cảnh sát", "ha noi", "ca", "2017", "A", "", "   ", "ủy ban", "tp hồ chí minh", "(UBND)"],
)
def test_words_are_not_abbreviations(text):
    # Lowercase syllables are words ("ca" may be cá, cà); tone marks never
    # occur in abbreviations.
    assert abbreviation_key(text) is None


def test_capitals_make_a_syllable_an_abbreviation():
    assert abbreviation_key("CA") == "ca"
    assert abbreviation_key("ca") is None


# -- the table ----------------------------------------------------------------

REQUIRED = (
    "UBND HĐND TP.HCM CSGT HLV THPT THCS BHXH BHYT TAND VKSND ĐBQH NHNN PCCC ATGT CLB BĐS KCN "
    "TNGT CNTT GTVT VĐV GD&ĐT XKLĐ ĐTQG WTO LHQ EU ASEAN"
).split()


def test_the_table_is_large_and_has_the_common_abbreviations():
    table = default_table()
    abbreviations = [entry for entry in table if entry.kind == "abbr"]
    assert len(abbreviations) >= 200
    for abbreviation in REQUIRED:
        entry = table.lookup(abbreviation)
        assert entry is not None, abbreviation
        assert entry.abbreviation == abbreviation
        assert entry.docs > 0


def test_the_tsv_parses_with_no_duplicate_keys():
    text = (resources.files("vn_search") / "data" / "abbreviations.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    header, rows = rows[0], rows[1:]
    assert header == ["abbreviation", "expansions", "kind", "ambiguous", "docs"]
    assert all(len(row) == 5 for row in rows)
    keys = [abbreviation_key(row[0]) if row[2] == "abbr" else row[0].lower() for row in rows]
    assert None not in keys
    assert len(keys) == len(set(keys))
    assert len(default_table()) == len(rows)
    # Sorted by the script's counts, most frequent first.
    docs = [int(row[4]) for row in rows if row[2] == "abbr"]
    assert docs == sorted(docs, reverse=True)


def test_every_meaning_of_an_ambiguous_entry_has_cues():
    ambiguous = [entry for entry in default_table() if entry.ambiguous]
    assert {"ĐT", "QH", "CA", "ĐH"} <= {entry.abbreviation for entry in ambiguous}
    for entry in ambiguous:
        assert len(entry.expansions) >= 2
        for expansion in entry.expansions:
            assert entry.cues_for(expansion), (entry.abbreviation, expansion)


@pytest.mark.parametrize(
    "typed, abbreviation, expansion",
    [
        ("CSGT", "CSGT", "cảnh sát giao thông"),
        ("csgt", "CSGT", "cảnh sát giao thông"),
        ("ubnd", "UBND", "Ủy ban nhân dân"),
        ("tp hcm", "TP.HCM", "Thành phố Hồ Chí Minh"),
        ("Tp.HCM", "TP.HCM", "Thành phố Hồ Chí Minh"),
        ("gd-dt", "GD&ĐT", "Giáo dục và Đào tạo"),
        ("hdnd", "HĐND", "Hội đồng nhân dân"),
    ],
)
def test_lookup_from_any_spelling(typed, abbreviation, expansion):
    entry = default_table().lookup(typed)
    assert entry.abbreviation == abbreviation
    assert expansion in entry.expansions


@pytest.mark.parametrize(
    "full_form, abbreviation",
    [
        ("cảnh sát giao thông", "CSGT"),
        ("Cảnh sát giao thông", "CSGT"),
        ("canh sat giao thong", "CSGT"),
        ("Ủy ban nhân dân", "UBND"),
        ("uy ban nhan dan", "UBND"),
        ("Uỷ ban nhân dân", "UBND"),  # the old tone placement
        ("ỦY BAN NHÂN DÂN", "UBND"),
        (nfd("Ủy ban nhân dân"), "UBND"),
        ("Thành phố Hồ Chí Minh", "TP.HCM"),
        ("Bộ luật Hình sự", "BLHS"),
        ("Liên Hiệp Quốc", "LHQ"),
        ("Liên Hợp Quốc", "LHQ"),
        ("Tổ chức Thương mại Thế giới", "WTO"),
        ("Văn hóa, Thể thao và Du lịch", "VH-TT&DL"),
        ("văn hoá thể thao và du lịch", "VH-TT&DL"),
    ],
)
def test_lookup_from_the_full_form(full_form, abbreviation):
    found = [entry.abbreviation for entry in default_table().abbreviations_for(full_form)]
    assert abbreviation in found


def test_aliases_expand_one_way():
    table = default_table()
    saigon = table.lookup("Sài Gòn")
    assert saigon.kind == "alias"
    assert saigon.expansions == ("Thành phố Hồ Chí Minh",)
    # The alias is not an abbreviation of the city's name: "sông Sài Gòn"
    # must not turn up for every TP.HCM query.
    assert [e.abbreviation for e in table.abbreviations_for("Thành phố Hồ Chí Minh")] == ["TP.HCM"]


# -- spans in a query -----------------------------------------------------------


def spans(query: str):
    return [(s.start, s.end, s.typed, s.forms) for s in default_table().find_spans(query.split())]


def test_spans_of_abbreviations_typed_any_way():
    assert spans("csgt tphcm phạt nguội") == [
        (0, 1, "abbreviation", ("CSGT", "cảnh sát giao thông")),
        (1, 2, "abbreviation", ("TP.HCM", "Thành phố Hồ Chí Minh")),
    ]
    assert spans("sở gd dt hà nội")[0] == (1, 3, "abbreviation", ("GD&ĐT", "Giáo dục và Đào tạo"))
    # "tp hcm" is one abbreviation, not TP then HCM.
    assert spans("tai nạn tp hcm")[0][:2] == (2, 4)


def test_spans_of_full_forms_longest_first():
    assert spans("cảnh sát giao thông quận 1") == [(0, 4, "expansion", ("CSGT",))]
    assert spans("uy ban nhan dan tinh quang nam")[0] == (0, 4, "expansion", ("UBND",))
    # Thành phố Hồ Chí Minh, not "thành phố" (TP) then "Hồ Chí Minh" (HCM).
    assert spans("thanh pho ho chi minh mua ngap") == [(0, 5, "expansion", ("TP.HCM",))]
    assert spans("Liên Hiệp Quốc") == [(0, 3, "expansion", ("LHQ", "Liên Hợp Quốc"))]


def test_alias_span_gives_the_names_it_stands_for():
    assert spans("kẹt xe ở sài gòn") == [(3, 5, "alias", ("Thành phố Hồ Chí Minh", "TP.HCM"))]


def test_query_without_abbreviations_has_no_spans():
    assert spans("giá xăng tăng mạnh") == []
    assert spans("ca sĩ hát hay") == []  # "ca" is a word here, not CA


def test_ambiguous_abbreviation_in_a_query_takes_its_meaning_from_the_query():
    table = default_table()
    [span] = table.find_spans("lịch thi đấu ĐT Việt Nam".split())[:1]
    assert span.forms == ("ĐT", "đội tuyển") and span.ambiguous
    [span] = table.find_spans("QH".split())
    assert span.forms == ("QH",)  # nothing decides: no expansion added


# -- ambiguity ----------------------------------------------------------------


@pytest.mark.parametrize(
    "abbreviation, context, meaning",
    [
        ("ĐT", "Việt Nam", "đội tuyển"),
        ("ĐT", "HLV Park Hang-seo gọi 30 cầu thủ lên", "đội tuyển"),
        ("ĐT", "bóng đá nữ", "đội tuyển"),
        ("ĐT", "di động", "điện thoại"),
        ("ĐT", "liên hệ theo số hotline", "điện thoại"),
        ("ĐT", "chương trình bồi dưỡng cán bộ", "đào tạo"),
        ("QH", "khóa XV", "Quốc hội"),
        ("QH", "đại biểu chất vấn Bộ trưởng", "Quốc hội"),
        ("QH", "đô thị", "quy hoạch"),
        ("QH", "đất ở tại phân khu", "quy hoạch"),
        ("CA", "tỉnh Quảng Ninh bắt đối tượng", "công an"),
        ("CA", "cháy rừng ở bang", "California"),
        ("ĐH", "Bách khoa Hà Nội công bố điểm chuẩn", "đại học"),
        ("ĐH", "Đảng bộ tỉnh nhiệm kỳ 2020-2025", "Đại hội"),
        ("CĐ", "cơ sở bảo vệ quyền lợi người lao động", "công đoàn"),
        ("BTC", "cuộc thi Hoa hậu Việt Nam", "ban tổ chức"),
        ("BTC", "ban hành thông tư về thuế", "Bộ Tài chính"),
    ],
)
def test_context_decides_an_ambiguous_abbreviation(abbreviation, context, meaning):
    entry = default_table().lookup(abbreviation)
    assert entry.ambiguous
    assert choose_expansions(entry, context.split()) == [meaning]


@pytest.mark.parametrize("abbreviation", ["ĐT", "QH", "CA", "ĐH", "CP", "TT"])
@pytest.mark.parametrize("context", ["", "năm 2019", "cho biết hôm qua"])
def test_never_blindly(abbreviation, context):
    entry = default_table().lookup(abbreviation)
    assert choose_expansions(entry, context.split()) == []


def test_unambiguous_entries_keep_their_expansions():
    entry = default_table().lookup("LHQ")
    assert choose_expansions(entry, []) == ["Liên Hợp Quốc", "Liên Hiệp Quốc"]


def test_how_it_was_typed_can_decide():
    # NĐT has a Đ: nhà đầu tư, never nhân dân tệ; NDT proves nothing.
    entry = default_table().lookup("NĐT")
    assert choose_expansions(entry, [], spelling="NĐT") == ["nhà đầu tư"]
    assert choose_expansions(entry, [], spelling="NDT") == []
    assert choose_expansions(entry, "tương đương ở Trung Quốc".split(), spelling="NDT") == ["nhân dân tệ"]


def test_learned_definitions_decide_only_when_one_meaning_dominates():
    entry = default_table().lookup("QH")
    assert choose_expansions(entry, [], {"qh": {"Quốc hội": 40, "quy hoạch": 1}}) == ["Quốc hội"]
    assert choose_expansions(entry, [], {"qh": {"Quốc hội": 20, "quy hoạch": 15}}) == []
    assert choose_expansions(entry, [], {"qh": {"Quốc hội": 2}}) == []  # too few to trust
    # Context still wins over the collection's habits.
    assert choose_expansions(entry, ["đô", "thị"], {"qh": {"Quốc hội": 40}}) == ["quy hoạch"]


def test_learned_definitions_add_a_newsroom_meaning():
    entry = default_table().lookup("ĐT")
    learned = {"dt": {"đường tỉnh": 12}}
    assert choose_expansions(entry, "nâng cấp tuyến 741".split(), learned) == ["đường tỉnh"]


# -- mining definitions ---------------------------------------------------------

ARTICLE = (
    "Sáng 12/3, Ủy ban nhân dân (UBND) tỉnh Quảng Nam tổ chức hội nghị với Hội đồng nhân dân (HĐND) "
    "các huyện miền núi. Đại diện Bộ Giáo dục và Đào tạo (GD&ĐT) cho biết năm học mới sẽ tăng "
    "thời lượng tiếng Anh. Theo NHNN (Ngân hàng Nhà nước), tín dụng tăng 4,2% trong quý I (2017). "
    "Công an TP Hà Nội (CATP) đã tạm giữ hai đối tượng (ảnh). Chương trình do Đài Tiếng nói Việt Nam "
    "(VOV) phối hợp thực hiện; tin của phóng viên thường trú (VOV). Hiện trường vụ cháy (Ảnh: TTXVN)."
)


def test_mining_finds_both_patterns():
    found = list(mine_definitions(ARTICLE))
    assert ("UBND", "Ủy ban nhân dân") in found
    assert ("HĐND", "Hội đồng nhân dân") in found
    assert ("GD&ĐT", "Giáo dục và Đào tạo") in found  # "Bộ" stays outside
    assert ("NHNN", "Ngân hàng Nhà nước") in found  # short form first
    assert ("CATP", "Công an TP Hà Nội") in found


def test_mining_rejects_what_is_not_a_definition():
    found = dict(mine_definitions(ARTICLE))
    # (2017), (ảnh), (Ảnh: TTXVN) are not abbreviations; "Đài Tiếng nói Việt Nam
    # (VOV)" and "phóng viên thường trú (VOV)" do not spell V-O-V.
    assert "VOV" not in found and "TTXVN" not in found
    assert all(not short.isdigit() for short in found)
    assert len(found) == 5


@pytest.mark.parametrize(
    "sentence, pair",
    [
        ("Sở Tài nguyên và Môi trường (TN&MT) đã kiểm tra", ("TN&MT", "Tài nguyên và Môi trường")),
        ("Sở Tài nguyên và Môi trường (TN - MT) đã kiểm tra", ("TN-MT", "Tài nguyên và Môi trường")),
        ("Bộ Văn hóa, Thể thao và Du lịch (VH-TT&DL) vừa", ("VH-TT&DL", "Văn hóa, Thể thao và Du lịch")),
        ("theo Ngân hàng Nhà nước Việt Nam (NHNN),", ("NHNN", "Ngân hàng Nhà nước Việt Nam")),
        ("lực lượng cảnh sát giao thông (CSGT) phát hiện", ("CSGT", "cảnh sát giao thông")),
        ("GD&ĐT (Bộ Giáo dục và Đào tạo) yêu cầu", ("GD&ĐT", "Giáo dục và Đào tạo")),
        ("Liên đoàn Bóng đá Việt Nam (LĐBĐVN) công bố", ("LĐBĐVN", "Liên đoàn Bóng đá Việt Nam")),
    ],
)
def test_mining_vietnamese_long_forms(sentence, pair):
    assert pair in list(mine_definitions(sentence))


@pytest.mark.parametrize(
    "sentence",
    [
        "Mưa lớn kéo dài (ảnh) gây ngập nặng.",
        "Lượng khách tăng mạnh (2017).",
        "Hiện trường vụ tai nạn (Ảnh: TTXVN).",
        "Bài viết tổng hợp theo Healthland (T.H)",  # a credit line: "Theo" gives no T
        "Theo UBND (UBND) xã.",
        "Đoàn công tác APEC (APEC App Challenge) đến Đà Nẵng.",
        "Giao thông và Vận tải tỉnh Bắc Ninh (GTVT) cho biết",  # tải is not tại
        "Ông Nguyễn Văn A (SN 1980) bị bắt.",
    ],
)
def test_mining_rejects(sentence):
    assert list(mine_definitions(sentence)) == []


def test_mining_reads_decomposed_text():
    assert list(mine_definitions(nfd("Hội đồng nhân dân (HĐND) thành phố họp"))) == [
        ("HĐND", "Hội đồng nhân dân")
    ]


def test_long_form_is_at_most_twice_the_short_form():
    # Six words cannot define a two-letter abbreviation, even if they start right.
    assert list(mine_definitions("đội bóng của tỉnh này thi đấu thất thường (ĐT)")) == []


# -- counting definitions -----------------------------------------------------


def test_definition_counts_count_documents_and_spellings():
    counts = DefinitionCounts()
    assert counts.add("Ngân hàng Nhà nước (NHNN) vừa ... NHNN (Ngân hàng Nhà nước) cũng") == 1
    counts.add("Theo Ngân hàng nhà nước (NHNN), lãi suất giảm.")
    counts.add("Ngân hàng Nhà nước (NHNN) yêu cầu các ngân hàng báo cáo.")
    counts.add("Phòng Cảnh sát kinh tế (CSKT) vào cuộc.")
    assert counts.definitions("NHNN") == [("Ngân hàng Nhà nước", 3)]
    assert counts.definitions("nhnn") == counts.definitions("NHNN")
    assert counts.definitions("CSKT") == []  # seen once: below min_count=2
    assert counts.definitions("CSKT", min_count=1) == [("Cảnh sát kinh tế", 1)]
    assert counts.abbreviation_spelling("nhnn") == "NHNN"
    assert counts.as_learned() == {"nhnn": {"Ngân hàng Nhà nước": 3}}


def test_definition_counts_merge_and_round_trip_through_json():
    first, second = DefinitionCounts(), DefinitionCounts()
    first.add("Ủy ban nhân dân (UBND) huyện Củ Chi")
    first.add("Ủy ban nhân dân (UBND) xã Tân Thông Hội")
    second.add("Uỷ ban nhân dân (UBND) quận 1 và Cảnh sát giao thông (CSGT)")
    merged = first.merge(second)
    # One definition however the tone is placed, shown as most often written.
    assert merged.definitions("UBND") == [("Ủy ban nhân dân", 3)]
    text = merged.to_json()
    assert json.loads(text)["format"] == DefinitionCounts.FORMAT  # plain JSON
    again = DefinitionCounts.from_json(text)
    assert again.to_json() == text
    assert again.definitions("UBND") == merged.definitions("UBND")
    assert len(again) == 2


def test_definition_counts_json_errors_name_the_source():
    with pytest.raises(ValueError, match="definitions.json"):
        DefinitionCounts.from_json("{not json", "definitions.json")
    with pytest.raises(ValueError, match="definitions.json"):
        DefinitionCounts.from_json('{"format": "something else"}', "definitions.json")


def test_learned_definitions_extend_the_table():
    counts = DefinitionCounts()
    for district in ["Ba Đình", "Cầu Giấy", "Hoàn Kiếm"]:
        counts.add(f"Phòng Cảnh sát kinh tế (CSKT) Công an quận {district} phối hợp kiểm tra.")
    table = default_table().with_learned(counts, min_count=3)
    entry = table.lookup("cskt")
    assert entry.expansions == ("Cảnh sát kinh tế",)
    assert entry.abbreviation == "CSKT"
    assert [e.abbreviation for e in table.abbreviations_for("cảnh sát kinh tế")] == ["CSKT"]
    assert default_table().lookup("cskt") is None  # the bundled table is untouched


# -- loading errors -------------------------------------------------------------

HEADER = "abbreviation\texpansions\tkind\tambiguous\tdocs\n"


def test_duplicate_keys_are_refused_with_their_lines():
    text = HEADER + "TP.HCM\tThành phố Hồ Chí Minh\tabbr\tno\t10\nTP HCM\tThành phố Hồ Chí Minh\tabbr\tno\t3\n"
    with pytest.raises(TableError, match=r"mine.tsv:3: .*line 2"):
        AbbreviationTable.parse(text, "mine.tsv")


@pytest.mark.parametrize(
    "row, message",
    [
        ("UBND\tỦy ban nhân dân\tabbr\tno", "expected 5 tab-separated columns"),
        ("UBND\tỦy ban nhân dân\tacronym\tno\t5", "kind must be"),
        ("UBND\tỦy ban nhân dân\tabbr\tno\tmany", "docs must be a count"),
        ("Hà Nội\tThủ đô\tabbr\tno\t5", "not shaped like an abbreviation"),
        ("QH\tQuốc hội\tabbr\tyes\t5", "marked ambiguous but has one expansion"),
    ],
)
def test_bad_rows_are_refused_with_file_and_line(row, message):
    with pytest.raises(TableError, match=rf"mine.tsv:2: .*{message}"):
        AbbreviationTable.parse(HEADER + row + "\n", "mine.tsv")


def test_an_ambiguous_entry_without_cues_is_refused():
    text = HEADER + "QH\tQuốc hội | quy hoạch\tabbr\tyes\t5\n"
    cues = "abbreviation\texpansion\tcues\nQH\tQuốc hội\tkhóa | đại biểu\n"
    with pytest.raises(TableError, match="quy hoạch"):
        AbbreviationTable.parse(text, "mine.tsv", cues, "cues.tsv")
