"""The `vn-search` command: a thin click layer over :class:`SearchEngine`.

Every command calls the same public API an embedding application would;
nothing here knows how search works. With ``--json`` stdout carries only
the JSON document, and messages go to stderr.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import click

from vn_search import SearchEngine, sample_path
from vn_search.dates import parse_day, stored_moment, to_vietnam
from vn_search.errors import IndexBusyError, VnSearchError
from vn_search.sources.parts import part_to_index

DEFAULT_INDEX = "index"


class _IndexLocation(click.ParamType):
    """An index folder (a Path), or an index on a cluster kept as typed:
    a Path would fold ``opensearch://host`` into ``opensearch:/host``."""

    name = "DIR|URL"

    def convert(self, value, param, ctx):
        if str(value).lower().startswith(("opensearch://", "opensearchs://")):
            return str(value)
        return Path(value)


_index_option = click.option(
    "--index",
    "index_dir",
    default=DEFAULT_INDEX,
    show_default=True,
    type=_IndexLocation(),
    envvar="VN_SEARCH_INDEX",
    help="Index directory, or an index on an OpenSearch cluster: opensearch://HOST:PORT/NAME (also $VN_SEARCH_INDEX).",
)


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"vn-search: {message}", err=True)
    sys.exit(code)


def _count(number: int, noun: str) -> str:
    """``1 article``, ``2 articles``: a count with its noun agreeing."""
    return f"{number} {noun if number == 1 else noun + 's'}"


def _dump(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _day(value: str | None, option: str) -> date | None:
    """``--since``/``--until``: a day written YYYY-MM-DD (``dates.parse_day``),
    or a usage error (exit 2) naming the option."""
    try:
        return parse_day(value, option)
    except ValueError:
        _fail(f"{option} must be a date written YYYY-MM-DD (e.g. 2017-02-06), not {value!r}", 2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="vn-search")
def main() -> None:
    """Full-text search for Vietnamese news.

    \b
    Examples:
      vn-search index news/ corpus.jsonl.gz       build or extend ./index
      vn-search search "luan chuyen can bo"       accents optional
      vn-search search '"cán bộ" -Lào' --json     phrase, exclusion, JSON
      vn-search search "bão số 3" --since 2017-02-06 --until 2017-02-08
      vn-search stats
      vn-search serve --port 5000                 the web page and JSON API
    """


@main.command("index")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@_index_option
@click.option("--rebuild", is_flag=True, help="Build a new index from SOURCES alone, then swap it in.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Analysis processes (default: one per core).")
@click.option("--part", "part_text", metavar="K/N", default=None,
              help="Index only part K of N of the input (by document id), for N indexers loading one index.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal).")
def index_command(sources, index_dir, rebuild, workers, part_text, as_json, progress) -> None:
    """Index crawled pages (.txt), folders of them, and JSONL(.gz) corpora.

    \b
    A file that cannot be read is reported as path:line: reason and skipped;
    the rest is indexed. An input that does not exist makes the exit status 1
    (after the rest is indexed), and so do inputs holding no articles at all
    (then nothing is written). An interrupted run leaves the previous index
    intact. With --part K/N every indexer reads all of SOURCES and analyses
    only its share: run parts 1/N … N/N (on N machines, against one
    OpenSearch index) and together they index everything exactly once.
    \b
    Examples:
      vn-search index ../shared/seed/
      vn-search index docs.jsonl.gz --index /srv/news-index --rebuild
      vn-search index docs.jsonl.gz --index opensearch://10.0.0.5:9200/news --part 2/3
    """
    try:
        part = part_to_index(part_text, rebuild)
    except ValueError as error:
        _fail(str(error), 2)
    engine = SearchEngine(index_dir)

    def report_problem(problem) -> None:
        click.echo(f"skipped {problem}", err=True)

    try:
        report = engine.index(sources, rebuild=rebuild, progress=progress, workers=workers,
                              on_problem=report_problem, part=part)
    except IndexBusyError as error:
        _fail(str(error))
    except VnSearchError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted; the index is unchanged", 130)
    if as_json:
        _dump(report.to_json())
    else:
        skipped = f"skipped {_count(len(report.problems), 'input')}; " if report.problems else ""
        share = f"Part {report.part}: " if report.part else ""
        others = f"left {_count(report.left, 'document')} to the other parts; " if report.part else ""
        holds = (f"the index now holds {_count(report.documents_total, 'document')}"
                 if report.articles or report.related or not report.part else "nothing written")
        click.echo(
            f"{share}Indexed {_count(report.articles, 'article')} and {_count(report.related, 'related item')} "
            f"in {report.seconds:.1f} s ({report.docs_per_second:.0f} docs/s); "
            f"{skipped}{others}{holds}.",
            err=True,
        )
    missing = [problem.path for problem in report.problems if problem.missing]
    if missing:
        # The rest is indexed, but a mistyped path must not pass unseen.
        _fail(f"not found: {', '.join(missing)}")


@main.command("search")
@click.argument("query")
@_index_option
@click.option("--limit", "-n", type=click.IntRange(1, 100), default=10, show_default=True, help="Hits per page.")
@click.option("--page", type=click.IntRange(1, 10_000), default=1, show_default=True)
@click.option("--kind", type=click.Choice(["article", "related"]), default=None, help="Only articles or only related items.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="date: newest first, undated documents last.")
@click.option("--since", metavar="YYYY-MM-DD", default=None,
              help="Only documents published on or after this day (Vietnam time).")
@click.option("--until", metavar="YYYY-MM-DD", default=None,
              help="Only documents published on or before this day (Vietnam time).")
@click.option("--as-typed", is_flag=True,
              help="Search the words literally: no Telex/VNI keystrokes read, no correction searched instead.")
@click.option("--group/--no-group", default=True, show_default=True,
              help="One hit per story, other outlets' reports listed under it; --no-group: one hit per article.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def search_command(query, index_dir, limit, page, kind, sort, since, until, as_typed, group, as_json) -> None:
    """Search the index. Accents are optional; "quoted phrases" and -word work.

    \b
    --since and --until take whole days in Vietnam time (UTC+7), both
    included; documents without a publication date are left out of any
    date range. Words typed as Telex/VNI keystrokes (vieejt nam) are
    searched as Vietnamese, and abbreviations (CSGT, TPHCM) find their full
    forms; --as-typed searches exactly what was typed.
    \b
    Examples:
      vn-search search "luan chuyen can bo"
      vn-search search '"Phú Yên" -Bình' --limit 5 --json
      vn-search search "bão số 3" --since 2017-02-06 --until 2017-02-08
      vn-search search "bão số 3" --since 2024-09-01 --sort date
      vn-search search "vieejt nam"                      read as "việt nam"
    """
    first_day, last_day = _day(since, "--since"), _day(until, "--until")
    if first_day and last_day and first_day > last_day:
        _fail(f"--since ({first_day.isoformat()}) is after --until ({last_day.isoformat()})", 2)
    engine = SearchEngine(index_dir)
    try:
        results = engine.search(query, page=page, per_page=limit, kind=kind, sort=sort,
                                since=first_day, until=last_day, as_typed=as_typed, group=group)
    except VnSearchError as error:
        _fail(str(error))
    if as_json:
        data = results.to_json()
        data["hits"] = [
            {key: hit[key] for key in ("id", "kind", "title", "url", "published", "score", "snippet", "parents")}
            for hit in data["hits"]
        ]
        _dump(data)
        return
    _print_results(results, sort)


def _plain(html_text: str) -> str:
    """Snippet HTML for a terminal: marks in bold, entities decoded."""
    from html import unescape

    return unescape(html_text.replace("<mark>", "\x1b[1m").replace("</mark>", "\x1b[0m"))


def _vietnam_day(published: str | None) -> str | None:
    """The day a hit was published as --since/--until count it: in Vietnam
    time (an article of 00:10 on 7 February is stored as 6 February UTC)."""
    if not published:
        return None
    moment = stored_moment(published)
    return to_vietnam(moment).date().isoformat() if moment else published[:10]


def _print_results(results, sort: str = "relevance") -> None:
    color = sys.stdout.isatty()
    for notice in results.notices:
        click.echo(notice)
    if results.searched:
        click.echo(f"Tìm chính xác «{results.query}»: --as-typed")
    elif results.suggestion:
        click.echo(f"Có phải bạn muốn tìm: {results.suggestion}")
    first = (results.page - 1) * results.per_page + 1
    # Vietnamese writes 1.464 for a count and 0,012 for a fraction.
    count = f"{results.total:,}".replace(",", ".")
    seconds = f"{results.took_ms / 1000:.3f}".replace(".", ",")
    about = "Khoảng " if results.total_is_estimate else ""
    shown_range = f", ngày đăng {results.dates.describe()}" if results.dates else ""
    stories = (f" trong {results.stories:,} sự kiện".replace(",", ".")
               if results.stories and results.stories < results.total else "")
    click.echo(f"{about}{count} kết quả{stories} ({seconds} giây){shown_range}")
    if sort == "date" and results.undated:
        click.echo(f"{results.undated} bài không có ngày đăng được xếp cuối.")
    for rank, hit in enumerate(results.hits, start=first):
        title = _plain(hit.title_html) if color else hit.title
        snippet = _plain(hit.snippet) if color else _plain(hit.snippet).replace("\x1b[1m", "").replace("\x1b[0m", "")
        label = " [tin liên quan]" if hit.kind == "related" else ""
        click.echo(f"\n{rank}. {title}{label}")
        meta = "  ".join(x for x in (hit.id, _vietnam_day(hit.published), hit.url) if x)
        click.echo(f"   {meta}  (score {hit.score:.2f})")
        if snippet:
            click.echo(f"   {snippet}")
        if hit.same_story:
            click.echo(f"   + {len(hit.same_story)} bài cùng sự kiện:")
            for other in hit.same_story:
                where = "  ".join(x for x in (other.source, _vietnam_day(other.published)) if x)
                click.echo(f"     - {other.title}  ({other.id}{'  ' + where if where else ''})")
    if results.page < results.page_count:
        click.echo(f"\nTrang {results.page}/{results.page_count}: --page {results.page + 1} for more.")


@main.command("stats")
@_index_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def stats_command(index_dir, as_json) -> None:
    """What the index holds: documents, size, last update."""
    try:
        stats = SearchEngine(index_dir).stats()
    except VnSearchError as error:
        _fail(str(error))
    if as_json:
        _dump(stats.to_json())
        return
    rows = [
        ("index", stats.index_dir),
        ("documents", stats.documents),
        ("  articles", stats.articles),
        ("  related items", stats.related),
        ("terms (exact fields)", stats.terms),
        ("size", f"{stats.size_bytes / 1e6:.1f} MB"),
        ("analysis version", stats.analysis_version),
        ("updated", stats.updated.isoformat() if stats.updated else "-"),
    ]
    rows += [(f"  source {name}", count) for name, count in list(stats.sources.items())[:10]]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        click.echo(f"{label.ljust(width)}  {value}")


@main.command("serve")
@_index_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Server processes sharing the port (default: one per CPU).")
@click.option("--threads", type=click.IntRange(1, 64), default=None,
              help="Threads per process (default: 8 shared among the processes, at least 2 each).")
@click.option("--debug", is_flag=True, help="Flask's debug server, one process (loopback hosts only).")
def serve_command(index_dir, host, port, workers, threads, debug) -> None:
    """Serve the search page and JSON API (gunicorn; waitress without fork).

    Each worker warms its index before it answers searches (GET /healthz
    says "warming" with a 503 until then, a few seconds on 60,000
    articles) and prepares a newly indexed generation while the previous
    one answers. SIGTERM or Ctrl-C stops the server; SIGHUP restarts the
    workers.

    \b
    Example:
      vn-search serve --port 8080    then open http://127.0.0.1:8080/
    """
    from vn_search.web import serve

    def listening(url: str) -> None:
        click.echo(f"Serving {index_dir} on {url}  (Ctrl+C to stop)", err=True)

    try:
        serve(index_dir, host=host, port=port, debug=debug, threads=threads, workers=workers,
              on_listening=listening)
    except VnSearchError as error:
        _fail(str(error))
    except ValueError as error:
        _fail(str(error), 2)


@main.command("demo")
@_index_option
@click.option("--query", default="luan chuyen can bo", show_default=True)
@click.option("--serve/--no-serve", "serve_after", default=False, help="Serve the web page after indexing.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
def demo_command(index_dir, query, serve_after, port) -> None:
    """Index the bundled sample page, run a sample search, optionally serve."""
    engine = SearchEngine(index_dir)
    report = engine.index([sample_path()], rebuild=True)
    click.echo(
        f"Indexed the bundled sample into {index_dir}: {_count(report.articles, 'article')}, "
        f"{_count(report.related, 'related item')}.",
        err=True,
    )
    click.echo(f"\n$ vn-search search {query!r}")
    _print_results(engine.search(query))
    if serve_after:
        from vn_search.web import serve

        def listening(url: str) -> None:
            click.echo(f"\nServing on {url}  (Ctrl+C to stop)", err=True)

        try:
            serve(index_dir, host="127.0.0.1", port=port, on_listening=listening)
        except VnSearchError as error:
            _fail(str(error))


@main.command("opensearch", add_help_option=False,
              context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def opensearch_command(arguments) -> None:
    """A local OpenSearch cluster on 127.0.0.1 (Java and Maven; -h for options).

    \b
    Examples:
      vn-search opensearch start --nodes 3 --dir os-cluster    ports 9200-9202
      vn-search index docs.jsonl.gz --index opensearch://127.0.0.1:9200/news
      vn-search opensearch status --dir os-cluster
      vn-search opensearch stop --dir os-cluster
    """
    from vn_search.backends.opensearch_cluster import main as cluster_main

    sys.exit(cluster_main(list(arguments), prog="vn-search opensearch"))


if __name__ == "__main__":
    main()
