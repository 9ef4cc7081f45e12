"""The search blueprint: pages and JSON endpoints over one ``SearchEngine``.

Each view reads its request arguments (``params``), asks the engine, and
renders; ranking, highlighting, suggestions and query cutting all happen in
the engine. Every URL is built with ``url_for`` against the blueprint's own
name, so the blueprint works under any prefix an application mounts it at
(``app.register_blueprint(search_blueprint(engine), url_prefix="/tin-tuc")``).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException, InternalServerError

from vn_search.dates import RELATIVE_RANGES, DateRange, stored_moment
from vn_search.errors import IndexMissingError, IndexVersionError, VnSearchError
from vn_search.highlight import mark_text
from vn_search.web.display import (
    describe_range,
    highlighted,
    register_filters,
    vi_date,
    vi_moment,
    web_url,
)
from vn_search.web.feeds import (
    ATOM_TYPE,
    OPENSEARCH_TYPE,
    SUGGESTIONS_TYPE,
    FeedEntry,
    atom_feed,
    opensearch_description,
    snippet_text,
)
from vn_search.web.params import WITHIN, BadSearchArgument, SearchArgs, parse_search_args
from vn_search.web.security import add_security_headers

__all__ = ["search_blueprint", "render_error_page", "page_window", "BLUEPRINT_NAME"]

log = logging.getLogger(__name__)

BLUEPRINT_NAME = "vn_search"
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ``vn_search/templates`` is a symlink to the repository's top-level
# ``templates/`` in a checkout, and a real folder inside an installed wheel;
# both resolve through this one path.
TEMPLATE_DIR = os.path.join(_PACKAGE_DIR, "templates")
STATIC_DIR = os.path.join(_PACKAGE_DIR, "static")

# Flask keeps one template namespace per app, and the app's own folder wins:
# an application with its own "base.html" would silently restyle our pages.
# Hence the "vn_search_" prefix on every template name.
T_HOME = "vn_search_home.html"
T_RESULTS = "vn_search_results.html"
T_DOCUMENT = "vn_search_document.html"
T_ERROR = "vn_search_error.html"
T_NO_INDEX = "vn_search_no_index.html"

KIND_LABELS = {"article": "Bài viết", "related": "Tin liên quan"}
TOPICS_OFFERED = 5  # headline words a page that found nothing offers instead
# The date filter's quick choices, "Mọi lúc" (no range) first.
DATE_CHOICES = [(None, "Mọi lúc")] + [(name, RELATIVE_RANGES[name][0]) for name in WITHIN]
_API_ENDPOINTS = {"api_search", "api_document", "healthz", "feed", "api_suggest", "opensearch_suggest"}
SUGGESTIONS = 8  # completions offered under the search box
SUGGESTIONS_MAX_AGE = 300  # seconds a browser may reuse them
SIMILAR_SHOWN = 5  # "more like this" on an article page
FEED_ENTRIES = 20  # the newest articles a search's feed carries
# A results page's query string travels to the article page in ``back``;
# anything longer is not one of our links.
MAX_BACK_CHARS = 2000

ERROR_TEXT = {
    400: ("Yêu cầu không hợp lệ", "Địa chỉ bạn mở có tham số không hợp lệ."),
    404: ("Không tìm thấy trang", "Trang hoặc bài viết bạn tìm không tồn tại, hoặc đã bị gỡ khỏi chỉ mục."),
    405: ("Phương thức không được hỗ trợ", "Trang này chỉ mở được bằng liên kết hoặc ô tìm kiếm."),
    500: ("Đã có lỗi xảy ra", "Máy chủ gặp sự cố ngoài dự kiến. Vui lòng thử lại sau ít phút."),
}


def _blueprint_name(fallback: str) -> str:
    # An application may register us under another name or nest us in its
    # own blueprint; request.blueprint is the full dotted name either way.
    return request.blueprint or fallback


def _is_api_request() -> bool:
    endpoint = request.endpoint or ""
    return endpoint.rsplit(".", 1)[-1] in _API_ENDPOINTS


def render_page(blueprint_name: str, template: str, status: int = 200, **context: Any) -> Response:
    """Render one of our templates with ``link()`` bound to our blueprint."""
    name = _blueprint_name(blueprint_name)

    def link(endpoint: str, **values: Any) -> str:
        return url_for(f"{name}.{endpoint}", **values)

    # Every page has the search box in its header; it starts empty.
    context.setdefault("args", SearchArgs())
    html = render_template(
        template,
        link=link,
        kind_labels=KIND_LABELS,
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def render_error_page(blueprint_name: str, status: int) -> Response:
    title, message = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    return render_page(
        blueprint_name, T_ERROR, status=status, status_code=status, title=title, message=message,
    )


def _json_error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify(error=message, status=status, **extra)
    response.status_code = status
    return response


class SearchViews:
    """The blueprint's view functions, sharing one engine."""

    def __init__(self, engine, name: str) -> None:
        self.engine = engine
        self.name = name

    def _render(self, template: str, status: int = 200, **context: Any) -> Response:
        return render_page(self.name, template, status, **context)

    def _link(self, endpoint: str, **values: Any) -> str:
        return url_for(f"{_blueprint_name(self.name)}.{endpoint}", **values)

    # -- pages -------------------------------------------------------------

    def home(self) -> Response:
        stats = self.engine.stats()
        return self._render(
            T_HOME, stats=stats, newest=stats.newest_published, args=SearchArgs(),
        )

    def search(self) -> Response:
        args = parse_search_args(request.args, strict=False)
        if not args.query:
            return self.home()
        stats = self.engine.stats()
        # Shown on every results page, so that an archive that ends years
        # ago does not look broken when "Tuần qua" finds nothing.
        newest = stats.newest_published
        common = dict(args=args, facets=self._facets(), date_choices=DATE_CHOICES, newest=newest)
        if args.date_problem:
            # The date fields keep what was sent, so it can be corrected.
            typed = {name: (request.args.get(name) or "").strip()[:40] for name in ("from", "to")}
            return self._render(
                T_RESULTS, status=400, results=None, shown_query=args.query, typed_dates=typed, **common,
            )
        results = self.engine.search(args.query, **args.engine_kwargs())
        if results.total and not results.hits and args.page > results.page_count:
            # A stale or hand-edited link past the end: show the last page.
            return redirect(self._link("search", **args.url_args(page=results.page_count)))
        return self._render(
            T_RESULTS,
            results=results,
            # Each hit's link carries this search, for the article page's way back.
            back=urlencode(args.url_args()),
            feed_args=args.url_args(page=1, sort="relevance", per_page=10),
            # The engine may cut the query; the box shows what was searched.
            shown_query=results.query or args.query,
            parents=self._parent_documents(results.hits),
            pages=page_window(results.page, results.page_count),
            range_text=describe_range(results.dates, args.within),
            empty_range=None if results.total else _empty_range(
                results.dates, args.within, newest, stats.oldest_published),
            # Searches to offer when nothing was found, from this index's headlines.
            topics=[] if results.total else self._topics(),
            **common,
        )

    def document(self, doc_id: str) -> Response:
        document = self.engine.get(doc_id)
        if document is None:
            abort(404)
        came_from = _search_from_back(request.args.get("back"))
        marks = self.engine.marks_for(came_from.query) if came_from.query else None
        return self._render(
            T_DOCUMENT,
            doc=document,
            # The box keeps the search the reader came from.
            args=came_from,
            back=urlencode(came_from.url_args()) if came_from.query else None,
            # The query's words marked, escaped like a results page's snippets.
            marked=lambda text: highlighted(mark_text(text or "", marks)) if marks else text,
            related=self._documents(document.related_ids),
            parents=self._documents(document.parents),
            similar=self.engine.similar(doc_id, SIMILAR_SHOWN) if document.kind == "article" else [],
        )

    # -- XML for programs --------------------------------------------------

    def _api_args(self) -> SearchArgs | Response:
        """The search parameters of a request for programs (the JSON API,
        the feed), or the 400 answer naming the bad one."""
        try:
            args = parse_search_args(request.args, strict=True)
        except BadSearchArgument as problem:
            return _json_error(400, problem.message, param=problem.param)
        if not args.query:
            return _json_error(400, "q is required: the search query", param="q")
        return args

    def feed(self) -> Response:
        args = self._api_args()
        if isinstance(args, Response):
            return args
        # A feed follows what is new: always the newest first, one page.
        newest = replace(args, sort="date", page=1, per_page=FEED_ENTRIES)
        results = self.engine.search(args.query, **newest.engine_kwargs())
        shown = args.url_args(page=1, sort="relevance", per_page=10)
        self_url = self._link("feed", _external=True, **shown)
        entries = [
            FeedEntry(
                entry_id=self._link("document", doc_id=hit.id, _external=True),
                title=hit.title,
                link=self._link("document", doc_id=hit.id, _external=True),
                original_url=web_url(hit.url),
                published=hit.published,
                summary=snippet_text(hit.snippet),
                source=hit.source,
                category=hit.category,
            )
            for hit in results.hits
        ]
        body = atom_feed(
            title=f"Tìm tin: «{args.query}»",
            subtitle="Các bài mới nhất khớp với tìm kiếm này",
            feed_id=self_url,
            self_url=self_url,
            html_url=self._link("search", _external=True, **args.url_args(page=1, sort="date", per_page=10)),
            entries=entries,
        )
        return Response(body, content_type=f"{ATOM_TYPE}; charset=utf-8")

    def opensearch(self) -> Response:
        # url_for would escape the braces; the template needs them literal.
        body = opensearch_description(
            short_name="Tìm tin",
            description="Tìm kiếm toàn văn tin tức tiếng Việt",
            html_template=self._link("search", _external=True) + "?q={searchTerms}",
            atom_template=self._link("feed", _external=True) + "?q={searchTerms}",
            suggest_template=self._link("opensearch_suggest", _external=True) + "?q={searchTerms}",
        )
        return Response(body, content_type=f"{OPENSEARCH_TYPE}; charset=utf-8")

    # -- JSON --------------------------------------------------------------

    def api_search(self) -> Response:
        args = self._api_args()
        if isinstance(args, Response):
            return args
        results = self.engine.search(args.query, **args.engine_kwargs())
        return jsonify({**results.to_json(), "within": args.within})

    def api_document(self, doc_id: str) -> Response:
        document = self.engine.get(doc_id)
        if document is None:
            return _json_error(404, "no document with this id", id=doc_id)
        similar = self.engine.similar(doc_id, SIMILAR_SHOWN) if document.kind == "article" else []
        return jsonify({**document.to_json(), "similar": [_similar_json(hit) for hit in similar]})

    def api_suggest(self) -> Response:
        typed = request.args.get("q") or ""
        return _cached(jsonify(query=typed, suggestions=self.engine.complete(typed, SUGGESTIONS)))

    def opensearch_suggest(self) -> Response:
        # The browser's own search bar asks here as the reader types
        # (OpenSearch suggestions: the query, then the completions).
        typed = request.args.get("q") or ""
        body = json.dumps([typed, self.engine.complete(typed, SUGGESTIONS)], ensure_ascii=False)
        return _cached(Response(body, content_type=f"{SUGGESTIONS_TYPE}; charset=utf-8"))

    def healthz(self) -> Response:
        # Answered at once, also while the worker warms its index: a 503
        # until it can answer searches fast (a balancer sends them to
        # another worker meanwhile); "updating" while a newly published
        # generation is prepared and the previous one answers.
        readiness = self.engine.readiness()
        if not readiness["ready"]:
            return _json_error(503, "warming the index", ok=False, ready=False, state=readiness["state"],
                               pid=os.getpid())
        try:
            stats = self.engine.stats()
        except VnSearchError as problem:
            return _json_error(503, _public_reason(problem), ok=False)
        return jsonify(
            ok=True,
            ready=True,
            state=readiness["state"],
            generation=readiness["generation"],  # the index generation this process answers from
            # Which server process answered: `serve` runs several.
            pid=os.getpid(),
            documents=stats.documents,
            articles=stats.articles,
            related=stats.related,
            updated=stats.updated.isoformat() if stats.updated else None,
        )

    # -- errors ------------------------------------------------------------

    def index_unavailable(self, problem: VnSearchError) -> Response:
        # The full message names the server's folders: the log has it,
        # visitors get the same advice without them.
        log.warning("search index unavailable: %s", problem)
        if _is_api_request():
            return _json_error(
                503, _public_reason(problem),
                missing_index=isinstance(problem, IndexMissingError),
            )
        return self._render(
            T_NO_INDEX, status=503, args=SearchArgs(),
            missing_index=isinstance(problem, IndexMissingError),
        )

    def http_error(self, error: HTTPException) -> Response:
        status = error.code or 500
        if _is_api_request():
            return _json_error(status, error.description or error.name)
        return render_error_page(self.name, status)

    def unexpected_error(self, error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unexpected error on %s", request.path, exc_info=original)
        if _is_api_request():
            return _json_error(500, "internal error")
        return render_error_page(self.name, 500)

    # -- helpers -----------------------------------------------------------

    def _documents(self, doc_ids: list[str]) -> list:
        found = (self.engine.get(doc_id) for doc_id in dict.fromkeys(doc_ids))
        return [document for document in found if document is not None]

    def _parent_documents(self, hits) -> dict:
        """Parent articles of the related items on this page, by id, so each
        "Tin liên quan" hit can name the article it came from."""
        wanted = dict.fromkeys(parent for hit in hits for parent in hit.parents)
        return {document.id: document for document in self._documents(list(wanted))}

    def _topics(self) -> list[str]:
        return self.engine.headline_words(TOPICS_OFFERED)

    def _facets(self) -> dict[str, list[tuple[str, int]]]:
        facets = self.engine.facets() or {}
        return {
            "sources": [tuple(pair) for pair in facets.get("sources") or []],
            "categories": [tuple(pair) for pair in facets.get("categories") or []],
        }


def _search_from_back(back: str | None) -> SearchArgs:
    """The search an article page was reached from: ``back`` holds that
    results page's query string. It is only ever read as search
    parameters and the way back is rebuilt with ``url_for``, so it cannot
    point anywhere but our own /search."""
    if not back or len(back) > MAX_BACK_CHARS:
        return SearchArgs()
    # The first value of each name, as Flask's request.args.get reads it.
    values: dict[str, str] = {}
    for name, value in parse_qsl(back, keep_blank_values=True):
        values.setdefault(name, value)
    args = parse_search_args(values, strict=False)
    if args.date_problem:
        return SearchArgs(query=args.query)
    return args




def _cached(response: Response) -> Response:
    """Completions are asked for at every pause in typing, the same for
    every reader, and change only when the index does: browsers and
    proxies may keep them a few minutes."""
    response.headers["Cache-Control"] = f"public, max-age={SUGGESTIONS_MAX_AGE}"
    return response


def _similar_json(hit) -> dict[str, Any]:
    """An article of "more like this" for the document API."""
    return {"id": hit.id, "title": hit.title, "source": hit.source, "published": hit.published, "url": hit.url,
            "score": hit.score}


def _public_reason(problem: VnSearchError) -> str:
    """Why the index cannot be searched, without the server's paths."""
    if isinstance(problem, IndexMissingError):
        return "no search index has been built yet: build one with `vn-search index PATH... --index DIR`"
    if isinstance(problem, IndexVersionError):
        return "the search index was built by another version of vn-search: rebuild it with `vn-search index PATH... --rebuild`"
    return "the search index is not available"


def _empty_range(dates: DateRange | None, within: str | None, newest: str | None,
                 oldest: str | None) -> str | None:
    """Why a date range found nothing, when the reason is that the index
    holds no article in it at all (not that none matched the query)."""
    if dates is None:
        return None
    newest_moment, oldest_moment = _utc_moment(newest), _utc_moment(oldest)
    if dates.start and newest_moment and newest_moment < dates.start:
        if within:
            span = f"trong {RELATIVE_RANGES[within][0].lower()}"
        else:
            span = f"từ {vi_moment(dates.since)} trở đi"
        return f"Chỉ mục không có bài nào {span}; bài mới nhất đăng ngày {vi_date(newest)}."
    if dates.end and oldest_moment and oldest_moment > dates.end:
        return f"Chỉ mục không có bài nào trước {vi_date(oldest)}: đó là ngày đăng của bài cũ nhất."
    return None


def _utc_moment(iso: str | None) -> datetime | None:
    """An ISO time from ``IndexStats`` as naive UTC, like ``DateRange``'s bounds."""
    moment = stored_moment(iso)
    return moment.replace(tzinfo=None) if moment else None


def page_window(current: int, last: int, radius: int = 2) -> list[int | None]:
    """Page numbers to link, ``None`` marking a gap.

    >>> page_window(7, 20)
    [1, None, 5, 6, 7, 8, 9, None, 20]
    """
    shown = {1, last, *range(current - radius, current + radius + 1)}
    pages = sorted(page for page in shown if 1 <= page <= last)
    window: list[int | None] = []
    for page in pages:
        if window and page - window[-1] > 2:
            window.append(None)
        elif window and page - window[-1] == 2:
            window.append(page - 1)  # a gap of one page: show it, not "…"
        window.append(page)
    return window


def search_blueprint(engine, name: str = BLUEPRINT_NAME) -> Blueprint:
    """A blueprint serving search pages, the JSON API, a search's Atom feed
    (``/feed``), the OpenSearch description (``/opensearch.xml``), the
    search box's completions (``/api/suggest``, and ``/api/opensearch-suggest``
    for a browser's search bar) and ``/healthz``.

    Register it under any prefix; links and static files follow::

        app.register_blueprint(search_blueprint(SearchEngine("index")),
                               url_prefix="/tin-tuc")
    """
    blueprint = Blueprint(
        name,
        __name__,
        template_folder=TEMPLATE_DIR,
        static_folder=STATIC_DIR,
        static_url_path="/static",
    )
    views = SearchViews(engine, name)
    blueprint.add_url_rule("/", "home", views.home)
    blueprint.add_url_rule("/search", "search", views.search)
    # path: ids may contain "/" (werkzeug decodes %2F before routing).
    blueprint.add_url_rule("/doc/<path:doc_id>", "document", views.document)
    blueprint.add_url_rule("/api/search", "api_search", views.api_search)
    blueprint.add_url_rule("/api/doc/<path:doc_id>", "api_document", views.api_document)
    blueprint.add_url_rule("/healthz", "healthz", views.healthz)
    blueprint.add_url_rule("/feed", "feed", views.feed)
    blueprint.add_url_rule("/opensearch.xml", "opensearch", views.opensearch)
    blueprint.add_url_rule("/api/suggest", "api_suggest", views.api_suggest)
    blueprint.add_url_rule("/api/opensearch-suggest", "opensearch_suggest", views.opensearch_suggest)

    # A missing or outdated index is an operator's to-do, not a crash.
    blueprint.register_error_handler(VnSearchError, views.index_unavailable)
    blueprint.register_error_handler(InternalServerError, views.unexpected_error)
    for status in (400, 404, 405):
        blueprint.register_error_handler(status, views.http_error)
    blueprint.after_request(add_security_headers)
    blueprint.record_once(lambda state: register_filters(state.app.jinja_env))
    return blueprint

