"""How values look on a Vietnamese page: Jinja filters for the templates.

Vietnamese writes ``1.234`` for a thousand and ``0,05`` for a fraction, and
dates day first (``27/11/2024``).

    >>> vi_number(1234567), vi_seconds(48.0), vi_date("2024-11-27T08:30:00+07:00")
    ('1.234.567', '0,05', '27/11/2024')
    >>> vi_seconds(4.2), vi_seconds(0.3)
    ('0,004', 'dưới 0,001')
    >>> shorten("Chủ tịch Hà Nội nói về loa phường", 20)
    'Chủ tịch Hà Nội nói…'
    >>> from vn_search.dates import date_range
    >>> describe_range(date_range("2017-02-06", "2017-02-08"))
    'Từ 06/02/2017 đến 08/02/2017'

Categories arrive as the crawler's codes; readers see their labels:

    >>> category_label("DoiNoi-DoiNgoai"), category_label("AmThuc"), category_label("Xã hội")
    ('Đối nội - Đối ngoại', 'Am thuc', 'Xã hội')
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from urllib.parse import urlsplit

from markupsafe import Markup

from vn_search.analysis.fold import fold_text
from vn_search.dates import DateRange, to_vietnam

__all__ = ["register_filters", "vi_number", "vi_seconds", "vi_date", "vi_datetime",
           "vi_moment", "describe_range", "web_url", "url_host", "highlighted", "shorten",
           "category_label", "CATEGORY_LABELS"]


def vi_number(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def vi_seconds(milliseconds: float) -> str:
    """Seconds as a reader reads them; a fast search is not "0,00 giây"."""
    milliseconds = max(float(milliseconds), 0.0)
    if milliseconds < 1:
        return "dưới 0,001"
    digits = 3 if milliseconds < 10 else 2
    return f"{milliseconds / 1000:.{digits}f}".replace(".", ",")


QUERY_HEADING_CHARS = 80


def shorten(text: str, limit: int = QUERY_HEADING_CHARS) -> str:
    """``text`` cut to ``limit`` characters at a word, with "…": a pasted
    paragraph must not become a screen-high heading (the box keeps it all)."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut[limit // 2:]:  # not mid-word
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-–") + "…"




def _parse_date(value: str | date | None) -> date | None:
    """A stored date as the reader's wall clock shows it.

    The index keeps times as naive UTC (see ``sources.jsonl.parse_date``);
    shown as UTC, a story published at 06:00 in Hà Nội would carry
    yesterday's date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        try:
            # Python 3.11 reads every ISO 8601 form, including a trailing "Z".
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return to_vietnam(moment)


def vi_date(value: str | date | None) -> str:
    """``dd/mm/yyyy``, or "" when the source gave no usable date."""
    parsed = _parse_date(value)
    return parsed.strftime("%d/%m/%Y") if parsed else ""


def vi_datetime(value: str | date | None) -> str:
    """``08:30, 27/11/2024``; just the date when the source gave no time
    (sources that only know the day store midnight)."""
    parsed = _parse_date(value)
    if parsed is None:
        return ""
    if not isinstance(parsed, datetime) or parsed.astimezone(timezone.utc).time() == time():
        return parsed.strftime("%d/%m/%Y")
    return parsed.strftime("%H:%M, %d/%m/%Y")


def vi_moment(value: date | datetime) -> str:
    """A range bound: ``06/02/2017`` for a day, ``08:30, 06/02/2017`` for
    an instant (the quick choices end now, to the minute)."""
    if isinstance(value, datetime):
        return _parse_date(value).strftime("%H:%M, %d/%m/%Y")
    return value.strftime("%d/%m/%Y")


def describe_range(dates: DateRange | None, within: str | None = None) -> str:
    """The publication range a results page is limited to, as a sentence;
    "" for none. A ``within`` range ends now, whatever its bound says."""
    if dates is None:
        return ""
    since, until = dates.since, dates.until
    if within and since:
        return f"Từ {vi_moment(since)} đến nay"
    if since and until:
        first, last = vi_moment(since), vi_moment(until)
        return f"Ngày {first}" if first == last else f"Từ {first} đến {last}"
    if since:
        return f"Từ {vi_moment(since)} trở đi"
    return f"Đến hết ngày {vi_moment(until)}" if until else ""


def url_host(url: str | None) -> str:
    """``baolaocai.vn`` for a web URL, "" otherwise."""
    safe = web_url(url)
    if not safe:
        return ""
    host = (urlsplit(safe).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def web_url(url: str | None) -> str | None:
    """The URL if it is safe to put in an ``href`` (http/https), else None.

    Crawled pages carry whatever their links said; a ``javascript:`` or
    ``data:`` URL must never become a clickable link on our page.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


# The codes the crawled sources use (vietnamese-mds-200 and the sites
# crawlers read), by the label each site's own menu shows.
CATEGORY_LABELS = {
    "AmNhac": "Âm nhạc",
    "AnNinh": "An ninh",
    "BongDa": "Bóng đá",
    "ChinhTri": "Chính trị",
    "ChungKhoan": "Chứng khoán",
    "CNTT": "Công nghệ thông tin",
    "CongNghe": "Công nghệ",
    "DaoTao": "Đào tạo",
    "DoiNoi-DoiNgoai": "Đối nội - Đối ngoại",
    "DoiSong": "Đời sống",
    "DuLich": "Du lịch",
    "GiaiTri": "Giải trí",
    "GiaoDuc": "Giáo dục",
    "HinhSu": "Hình sự",
    "HocBong": "Học bổng",
    "KhoaHoc": "Khoa học",
    "KinhDoanh": "Kinh doanh",
    "KinhTe": "Kinh tế",
    "PhapLuat": "Pháp luật",
    "QuanSu": "Quân sự",
    "QuanVot": "Quần vợt",
    "SachBaoVanTho": "Sách báo - Văn thơ",
    "SanKhau": "Sân khấu",
    "SucKhoe": "Sức khỏe",
    "TaiChinh": "Tài chính",
    "TheGioi": "Thế giới",
    "TheThao": "Thể thao",
    "ThietBi-PhanCung": "Thiết bị - Phần cứng",
    "ThiTruong": "Thị trường",
    "ThoiSu": "Thời sự",
    "TuyenDung": "Tuyển dụng",
    "VanHoa": "Văn hóa",
    "XaHoi": "Xã hội",
}
# "DoiNoi" -> "Doi", "Noi"; a run of capitals ("CNTT") stays one word.
_CODE_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[0-9]+")
_CODE = re.compile(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*")


def category_label(category: str | None) -> str:
    """How a reader sees a category: the label of a known code, an unknown
    ASCII code split into words (``AmThuc`` → "Am thuc": without its
    diacritics a guess would often be wrong, so none is made), and a name
    already written for people ("Xã hội") unchanged."""
    text = (category or "").strip()
    if text in CATEGORY_LABELS:
        return CATEGORY_LABELS[text]
    if not _CODE.fullmatch(text) or not any(c.isupper() for c in text[1:]) and "-" not in text and "_" not in text:
        return text
    parts = [_CODE_WORD.findall(part) for part in re.split(r"[-_]", text)]
    # "DoiNoi-DoiNgoai" joins two names, "the-gioi" is one name's slug.
    joiner = " - " if any(len(words) > 1 for words in parts) else " "
    names = [
        " ".join(word if word.isupper() and len(word) > 1 else word.lower() for word in words)
        for words in parts
    ]
    shown = joiner.join(name[:1].upper() + name[1:] if joiner != " " else name for name in names if name)
    return shown[:1].upper() + shown[1:]


_MARK_TAG = re.compile(r"(</?mark>)")


def highlighted(html: str | None) -> Markup:
    """Trust the engine's highlight HTML for ``<mark>`` tags only.

    The engine already escapes snippets; this is a second lock on the door:
    any ``<`` or ``>`` outside a ``<mark>``/``</mark>`` tag is escaped, so a
    slip in the highlighter can never turn document text into markup.
    Entities (``&amp;``) are left alone because they are already escaped.
    """
    if not html:
        return Markup("")
    parts = _MARK_TAG.split(html)
    safe = [
        part if _MARK_TAG.fullmatch(part) else
        part.replace("<", "&lt;").replace(">", "&gt;")
        for part in parts
    ]
    return Markup("".join(safe))


def register_filters(env) -> None:
    env.filters.update(
        vi_number=vi_number,
        vi_seconds=vi_seconds,
        vi_date=vi_date,
        vi_datetime=vi_datetime,
        web_url=web_url,
        url_host=url_host,
        highlighted=highlighted,
        shorten=shorten,
        category_label=category_label,
        fold=fold_text,  # "hà nội" -> "ha noi", to show that accents are optional
    )
