"""vn-search on an OpenSearch cluster: documents analysed here, stored there.

Analysis stays in Python: each document goes through the indexer's own
``analysed_fields`` (normalise → segment with pyvi → exact and folded
terms) and is sent *pre-analysed*, its terms as space-separated text in
fields whose analyzer only splits on spaces:

- an exact field (``title``, ``summary``, ``body``) holds each term as many
  times as it occurs (frequencies only, like the embedded index);
- a folded field (``title_f``, …) holds one token per syllable position,
  with every term that starts there stacked into it: ``can>can_bo``. The
  ``stacked`` analyzer's ``pattern_capture`` filter splits a stack into
  tokens at the same position, so phrase queries over syllables and bigram
  terms both work as in the embedded index.

    >>> stacked_text({"luan": [0], "luan_chuyen": [0], "chuyen": [1]})
    'luan>luan_chuyen chuyen'

Writes go to a new concrete index; when the bulk load is complete the alias
(the name readers use) moves to it and the old index is dropped, in one
atomic ``_aliases`` call, so readers never see a half-built index. The
index's ``_meta`` records the analysis version; a mismatch says "rebuild".

Interface (what ``opensearch_engine.OpenSearchEngine`` calls):
``OpenSearchIndex.from_url(url)``, ``.rebuild(sources)``, ``.add(sources)``
(both also store what the documents teach, ``opensearch_meta.py``),
``.search(query, limit, kind=, source=, category=, since=, until=, sort=)``
(``opensearch_query.py``), ``.get(id)``, ``.count()``.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from vn_search.backends.opensearch_meta import (
    Learning, create_meta_index, learning_lock, load_learning, meta_index_name, save_learning,
)
from vn_search.backends.opensearch_stories import STORY_FIELD, BodySpool, relabel, story_labels
from vn_search.documents import NewsDocument
from vn_search.errors import IndexMissingError, IndexVersionError, NothingToIndexError, VnSearchError
from vn_search.indexer import analysed_fields
from vn_search.schema import ANALYSIS_VERSION, TEXT_FIELDS
from vn_search.scoring import DEFAULT_B, K1
from vn_search.sources.batch import ArticleBatch
from vn_search.sources.parts import Part
from vn_search.stories import Signatures

__all__ = ["OpenSearchIndex", "OpenSearchError", "OpenSearchIndexMissing", "BulkReport", "opensearch_document", "stacked_text", "exact_text", "MAPPING_VERSION"]

# Bump when the mapping or settings below change what a query can rely on.
MAPPING_VERSION = 2  # 2: the ``story`` field
STACK = ">"  # joins the terms of one position; never inside a term (see _clean)
SIGNATURE_KEY = "_signature"  # in a body on its way to the loader, never sent
STORED_FIELDS = ("id", "kind", "headline", "url", "parents", "content", "published", "source", "category")
_SEARCH_TRIES = 5
_SHARD_WAIT = "20s"  # how long a bulk request waits for a shard to have a copy on a live node
_SENDERS = 2  # bulk requests in flight while a rebuild sends its spooled articles


class OpenSearchError(VnSearchError):
    """The cluster could not be reached or refused a request; the message says which and why."""


class OpenSearchIndexMissing(IndexMissingError):
    """The cluster answers but holds no index of that name."""

    def __init__(self, location: str) -> None:
        VnSearchError.__init__(self, f"no index {location!r} on the OpenSearch cluster: build one with "
                                     f"`vn-search index PATH... --index {location}`")
        self.index_dir = location


def exact_text(terms: dict[str, list[int]]) -> str:
    """An exact field's terms, each repeated as often as it occurs (order does not matter: no positions)."""
    return " ".join(" ".join([term] * len(positions)) for term, positions in terms.items() if _clean(term))


def stacked_text(terms: dict[str, list[int]]) -> str:
    """A folded field as one stack of terms per syllable position."""
    at: dict[int, list[str]] = {}
    for term, positions in terms.items():
        if not _clean(term):
            continue
        for position in positions:
            at.setdefault(position, []).append(term)
    # A position holds its syllable first, then the bigrams and words that
    # start there (dict order: the analysis adds the syllable first).
    return " ".join(STACK.join(at[position]) for position in sorted(at))


def _clean(term: str | bytes) -> bool:
    """Whether a term survives the round trip through the whitespace analyzer."""
    text = term.decode("utf-8") if isinstance(term, bytes) else term
    return bool(text) and STACK not in text and not any(c.isspace() for c in text)


def opensearch_document(doc: NewsDocument) -> dict:
    """One document as the cluster stores it: display values under
    ``stored`` (never searched), analysed text in the six text fields, its
    story (``story``: itself until grouped with others, ``opensearch_stories.py``).
    The embedded index's analysis, unchanged: ``indexer.analysed_fields``.
    An article's story signature rides along under ``SIGNATURE_KEY``, for
    the loader to take off before the document is sent."""
    signatures = Signatures()
    fields = analysed_fields(doc, signatures)
    stored = {name: fields[name] for name in STORED_FIELDS if name in fields}
    if stored.get("published") is not None:
        stored["published"] = stored["published"].isoformat()
    body = {"stored": stored, "kind": doc.kind, "story": doc.id}
    for name in ("published", "source", "category"):
        if name in stored:
            body[name] = stored[name]
    for name in TEXT_FIELDS:
        body[name] = exact_text(fields[name])
        body[name + "_f"] = stacked_text(fields[name + "_f"])
    if len(signatures):
        body[SIGNATURE_KEY] = signatures
    return body


def _unsigned_document(doc: NewsDocument) -> dict:
    """``opensearch_document`` for a document indexed before: its story
    signature is already kept."""
    body = opensearch_document(doc)
    body.pop(SIGNATURE_KEY, None)
    return body


def index_settings(shards: int, replicas: int) -> dict:
    """Settings and mapping of a vn-search index (versioned by ``_meta``)."""
    exact = {"type": "text", "analyzer": "whitespace", "index_options": "freqs", "similarity": "vn_bm25"}
    folded = {"type": "text", "analyzer": "stacked", "search_analyzer": "whitespace", "index_options": "positions",
              "similarity": "vn_bm25"}
    properties = {"stored": {"type": "object", "enabled": False},
                  "kind": {"type": "keyword"}, "source": {"type": "keyword"}, "category": {"type": "keyword"},
                  "story": {"type": "keyword"},
                  "published": {"type": "date"}}
    for name in TEXT_FIELDS:
        properties[name] = exact
        properties[name + "_f"] = folded
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": {
                "filter": {"split_stack": {"type": "pattern_capture", "preserve_original": False,
                                           "patterns": [f"([^{STACK}]+)"]}},
                "analyzer": {"stacked": {"type": "custom", "tokenizer": "whitespace", "filter": ["split_stack"]}},
            },
            # The embedded index's BM25 (scoring.py). Whoosh counts every
            # posting of a field in its length, the bigrams stacked on a
            # syllable too: so do not discount overlapping tokens.
            "similarity": {"vn_bm25": {"type": "BM25", "k1": K1, "b": DEFAULT_B, "discount_overlaps": False}},
        },
        "mappings": {
            "_meta": {"analysis_version": ANALYSIS_VERSION, "mapping_version": MAPPING_VERSION},
            # The analysed text is only for the index: _source keeps what is shown.
            "_source": {"excludes": [name for base in TEXT_FIELDS for name in (base, base + "_f")]},
            "dynamic": "strict",
            "properties": properties,
        },
    }


@dataclass
class BulkReport:
    """What a load did, in the shape of ``indexer.IndexReport``'s summary."""

    index: str
    articles: int = 0
    related: int = 0
    seconds: float = 0.0
    documents_total: int = 0
    rebuilt: bool = False
    problems: list = field(default_factory=list)
    part: str | None = None  # "K/N" when this load took one part of its input
    left: int = 0  # documents read that are the other parts' to load
    phases: dict[str, float] = field(default_factory=dict)  # seconds spent in each step (bench.opensearch)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started

    @property
    def docs_per_second(self) -> float:
        return (self.articles + self.related) / self.seconds if self.seconds else 0.0


def _documents(sources: Iterable, report: BulkReport, part: Part | None = None) -> Iterator[NewsDocument]:
    """Articles of ``sources`` (first copy of an id wins), then their related
    items once each with all their parents: the embedded indexer's
    ``ArticleBatch``, and like it only ``part``'s share when given."""
    from vn_search.sources import read_sources

    batch = ArticleBatch(read_sources(sources), report.problems.append, part)
    for doc in batch:
        report.articles += 1
        yield doc
    related = batch.held_related()
    report.related = len(related)
    yield from related.values()
    report.left = batch.left


class OpenSearchIndex:
    """A vn-search index on a cluster: ``name`` is an alias over one concrete index.

    ``hosts`` is a URL or a list of them (give every node: the client moves
    to another when one dies); ``client_options`` go to ``OpenSearch(...)``
    as they are (``http_auth``, ``use_ssl``, ``verify_certs``, ``ca_certs``).
    """

    def __init__(self, hosts: str | list[str], name: str, *, shards: int = 1, replicas: int = 0,
                 timeout: float = 30.0, **client_options) -> None:
        from opensearchpy import OpenSearch

        self.hosts = [hosts] if isinstance(hosts, str) else list(hosts)
        self.name = name
        self.shards, self.replicas = shards, replicas
        self.timeout = timeout
        # pool_maxsize: a web server's threads search at once; one connection each.
        options = {"timeout": timeout, "max_retries": 5, "retry_on_timeout": True, "pool_maxsize": 16,
                   **client_options}
        self.client = OpenSearch(self.hosts, **options)
        self._reading: str | None = None

    @classmethod
    def from_url(cls, url: str, **options) -> "OpenSearchIndex":
        """``opensearch://host:port/name`` (``opensearchs://`` for TLS,
        ``USER:PASSWORD@`` before the host for basic authentication);
        ``?shards=3&replicas=1`` sizes the index a rebuild creates (the
        command line has no other way to say it)."""
        expected = "(expected opensearch://HOST:PORT/NAME, optionally ?shards=N&replicas=N)"
        try:
            parts = urlsplit(url)
            port = parts.port
            sizes = {key: int(values[-1]) for key, values in parse_qs(parts.query).items()}
        except ValueError:
            raise ValueError(f"not an OpenSearch index URL: {url!r} {expected}") from None
        if (parts.scheme not in ("opensearch", "opensearchs") or not parts.path.strip("/")
                or not set(sizes) <= {"shards", "replicas"}):
            raise ValueError(f"not an OpenSearch index URL: {url!r} {expected}")
        scheme = "https" if parts.scheme == "opensearchs" else "http"
        if parts.username is not None:  # opensearchs://USER:PASSWORD@HOST:PORT/NAME: basic auth
            options.setdefault("http_auth", (unquote(parts.username), unquote(parts.password or "")))
        return cls(f"{scheme}://{parts.hostname}:{port or 9200}", parts.path.strip("/"), **{**sizes, **options})

    @property
    def url(self) -> str:
        return f"opensearch://{urlsplit(self.hosts[0]).netloc}/{self.name}"

    def exists(self) -> bool:
        return bool(self._call(self.client.indices.exists_alias, name=self.name))

    def current_index(self) -> str | None:
        """The concrete index behind the alias, or None."""
        if not self.exists():
            return None
        return next(iter(self._call(self.client.indices.get_alias, name=self.name)))

    def check_version(self) -> None:
        """Raise ``IndexVersionError`` when the index was built by another analysis or mapping."""
        concrete = self.current_index()
        if concrete is None:
            raise OpenSearchIndexMissing(self.url)
        meta = self._call(self.client.indices.get_mapping, index=concrete)[concrete]["mappings"].get("_meta", {})
        found = (meta.get("analysis_version"), meta.get("mapping_version"))
        if found != (ANALYSIS_VERSION, MAPPING_VERSION):
            raise IndexVersionError(self.url, f"{found[0]} (mapping {found[1]})", ANALYSIS_VERSION)

    def rebuild(self, sources: Iterable, workers: int = 1, chunk_size: int = 500) -> BulkReport:
        """Load ``sources`` into a new index, then point the alias at it and
        drop the old one, atomically. A failed load leaves the alias as it was."""
        started = time.perf_counter()
        report = BulkReport(self.name, rebuilt=True)
        concrete = f"{self.name}-a{ANALYSIS_VERSION}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        body = index_settings(self.shards, 0)
        body["settings"]["refresh_interval"] = "-1"  # no refreshes while loading: nobody reads it yet
        self._call(self.client.indices.create, index=concrete, body=body)
        learning = Learning()
        spool = BodySpool()
        try:
            # Articles are held back (spooled) until every signature is read
            # and the stories are known, then sent once with their story: a
            # document sent again would leave a deleted copy that Lucene's
            # statistics count until merged away (8,447 on corpus C).
            with report.phase("analyse, send related items"):
                self._load(concrete, _documents(sources, report), workers, chunk_size, learning, spool,
                           hold_articles=True)
            if not report.articles and not report.related:
                raise NothingToIndexError(self.url, created=not self.exists())
            with report.phase("group stories"):
                learning.story_labels, learning.related = story_labels(learning.signatures)
            with report.phase("send articles"):
                self._send_spooled(concrete, spool, learning.story_labels, chunk_size)
            with report.phase("store learned data"):
                save_learning(self, concrete, learning, learning.headlines, report.articles + report.related)
            with report.phase("merge segments"):
                # One segment a shard, before the replicas copy it: searched
                # faster (MDS p95 100 -> 78 ms on corpus C, 3 nodes).
                self._call(self.client.indices.refresh, index=concrete, request_timeout=600)
                self._call(self.client.indices.forcemerge, index=concrete, max_num_segments=1,
                           request_timeout=3600)
            with report.phase("refresh and replicate"):
                self._call(self.client.indices.put_settings, index=concrete, body={
                    "index": {"refresh_interval": "1s", "number_of_replicas": self.replicas}})
                self._call(self.client.indices.refresh, index=concrete)
                self._call(self.client.cluster.health, index=concrete,
                           wait_for_status="green" if self.replicas else "yellow",
                           params={"timeout": "120s"}, request_timeout=130)
            old = list(self._call(self.client.indices.get_alias, name=self.name)) if self.exists() else []
            # A concrete index under the alias's name (from other tools) is replaced too.
            if not old and self._call(self.client.indices.exists, index=self.name):
                old = [self.name]
            actions = [{"add": {"index": concrete, "alias": self.name}}]
            actions += [{"remove_index": {"index": index}} for index in old]
            self._call(self.client.indices.update_aliases, body={"actions": actions})
        except BaseException:
            try:  # the half-built index goes; readers never saw it
                self.client.indices.delete(index=[concrete, meta_index_name(concrete)], ignore_unavailable=True)
            except Exception:
                pass  # the cluster is gone too: the original error says more
            raise
        finally:
            spool.close()
        if old:  # the old index's learned data went out of use with it
            self._call(self.client.indices.delete, index=[meta_index_name(index) for index in old],
                       ignore_unavailable=True)
        report.documents_total = self.count()
        report.seconds = time.perf_counter() - started
        return report

    def add(self, sources: Iterable, workers: int = 1, chunk_size: int = 500, part: Part | None = None) -> BulkReport:
        """Upsert the documents of ``sources`` by id into the current index
        (a first load builds it). With ``part``, only that share of them:
        N indexers can run at once on one index (``sources/parts.py``),
        the first creating it, each merging what it learned under
        ``learning_lock``."""
        if not self.exists():
            if part is None:
                return self.rebuild(sources, workers, chunk_size)
            self._create_shared()
        self.check_version()
        started = time.perf_counter()
        report = BulkReport(self.name, part=str(part) if part else None)
        concrete = self.current_index()
        learning = Learning()  # this load's; added to the stored learning at the end
        spool = BodySpool()
        try:
            with report.phase("analyse and send"):
                self._load(self.name, _documents(sources, report, part), workers, chunk_size, learning, spool)
            if not report.articles and not report.related and not report.left:
                raise NothingToIndexError(self.url, created=False)
            if report.articles or report.related:
                with report.phase("group stories, store learned data (lock held)"), learning_lock(self, concrete):
                    self._merge_learning(concrete, learning, spool)
        finally:
            spool.close()
        report.documents_total = self.count()
        report.seconds = time.perf_counter() - started
        return report

    def _merge_learning(self, concrete: str, loaded: Learning, spool: BodySpool) -> None:
        """Add what a load learned to what the index had learned, regroup the
        stories over the whole index (the earlier articles' signatures, less
        those indexed again, which are this load's now), send again the
        documents whose story changed, and store the result."""
        learning = load_learning(self, concrete, stories=True) or Learning()
        reloaded = set(loaded.signatures.ids)
        learning.signatures = learning.signatures.without(reloaded)
        learning.merge(loaded)
        previous = learning.story_labels
        learning.story_labels, learning.related = story_labels(learning.signatures)
        relabel(self, self.name, learning.story_labels, previous, spool, _unsigned_document, reloaded=reloaded)
        self._call(self.client.indices.refresh, index=self.name)
        save_learning(self, concrete, learning, self.headlines(), self.count())

    def _create_shared(self) -> None:
        """Create the index and its alias for loads that share it (``--part``):
        under one name every indexer derives alike, so the ones that start
        together create it once. (A rebuild's own index, under a unique
        name, is swapped in only when complete: no other loader could join it.)"""
        from opensearchpy.exceptions import RequestError

        concrete = f"{self.name}-a{ANALYSIS_VERSION}-m{MAPPING_VERSION}-shared"
        try:
            self._call(self.client.indices.create, index=concrete, body=index_settings(self.shards, self.replicas))
        except RequestError as error:
            if error.error != "resource_already_exists_exception":
                raise
        create_meta_index(self, concrete)
        self._call(self.client.indices.update_aliases, body={"actions": [{"add": {"index": concrete, "alias": self.name}}]})
        self._call(self.client.cluster.health, index=concrete, wait_for_status="green" if self.replicas else "yellow",
                   params={"timeout": "60s"}, request_timeout=70)

    def _load(self, index: str, documents: Iterator[NewsDocument], workers: int, chunk_size: int,
              learning: Learning, spool: BodySpool, hold_articles: bool = False) -> None:
        """Analyse (in ``workers`` processes: pyvi is the slow part) and bulk
        index; what the documents teach (accents, abbreviations, headlines)
        goes to ``learning``, the articles' bodies to ``spool``. With
        ``hold_articles`` the articles are only spooled, for
        :meth:`_send_spooled` to send once their stories are known."""

        def actions(bodies):
            for body in bodies:
                learning.add(body, body.pop(SIGNATURE_KEY, None))
                spooled = spool.add(body)
                if not (hold_articles and spooled):
                    yield {"_op_type": "index", "_index": index, "_id": body["stored"]["id"], "_source": body}

        pool = multiprocessing.get_context("fork").Pool(workers) if workers > 1 else None
        try:
            bodies = pool.imap(opensearch_document, documents, chunksize=8) if pool else map(opensearch_document, documents)
            self._bulk(actions(bodies), chunk_size)
        finally:
            if pool is not None:
                pool.terminate()

    def _send_spooled(self, index: str, spool: BodySpool, labels: dict[str, str], chunk_size: int) -> None:
        """Send the spooled articles, each with its story (``labels``; its own
        id when alone): ``_SENDERS`` chunks in flight at once, so that the
        cluster indexes one while the next is read from the spool."""
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        def chunks():
            chunk = []
            for doc_id, body in spool.items():
                body[STORY_FIELD] = labels.get(doc_id, doc_id)
                chunk.append({"_op_type": "index", "_index": index, "_id": doc_id, "_source": body})
                if len(chunk) == chunk_size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        with ThreadPoolExecutor(_SENDERS) as senders:
            pending = set()
            for chunk in chunks():
                if len(pending) >= _SENDERS:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()  # a refused chunk stops the load
                pending.add(senders.submit(self._bulk, chunk, chunk_size))
            for future in pending:
                future.result()

    def _bulk(self, actions: Iterable[dict], chunk_size: int, tolerated: frozenset[int] = frozenset()) -> None:
        """Bulk index, retrying rejected chunks with exponential backoff; a
        document refused with a status not ``tolerated`` (409: written by
        someone else since it was read) is an error naming it. A shard
        without a node (its only copy was on a node that died: a rebuild
        loads without replicas) refuses its documents after
        ``_SHARD_WAIT``, within the client's timeout, rather than holding
        the load for its retries (two and a half minutes)."""
        from opensearchpy.exceptions import ConnectionError as ClientConnectionError
        from opensearchpy.helpers import streaming_bulk

        try:
            for ok, item in streaming_bulk(self.client, actions, chunk_size=chunk_size, max_retries=6,
                                           initial_backoff=1, max_backoff=30, raise_on_error=False,
                                           # request_timeout named, the client sends "timeout" on
                                           # (without it, it reads "timeout" as its own)
                                           request_timeout=self.timeout, params={"timeout": _SHARD_WAIT}):
                result = next(iter(item.values()), {})
                if not ok and result.get("status") not in tolerated:
                    error = result.get("error")
                    why = f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else error
                    raise OpenSearchError(f"{self.url}: document {result.get('_id')} was refused "
                                          f"({result.get('status')} {why}); run the load again: "
                                          f"documents are written by id, never twice")
        except ClientConnectionError as error:
            raise OpenSearchError(f"{self.url}: the load stopped: the cluster did not answer "
                                  f"({type(error).__name__}); is a node down? Run the load again once it answers "
                                  f"(`vn-search opensearch status --dir DIR` for a local one)") from None

    def headlines(self) -> Iterator[str]:
        """Every document's headline (for autocomplete's table), read in pages."""
        from opensearchpy.helpers import scan

        for hit in scan(self.client, index=self.name, query={"_source": ["stored.headline"]}, size=2000):
            headline = (hit.get("_source") or {}).get("stored", {}).get("headline")
            if headline:
                yield headline

    def count(self) -> int:
        return int(self._call(self.client.count, index=self.name)["count"])

    def get(self, doc_id: str) -> dict | None:
        """A document's stored values (as the embedded index stores them), or None."""
        from opensearchpy.exceptions import NotFoundError

        try:
            found = self.client.get(index=self.name, id=doc_id, _source_includes=["stored"])
        except NotFoundError:
            return None
        return found["_source"]["stored"]

    def delete(self) -> None:
        """Drop the alias and the index behind it (tests, and a user's explicit request)."""
        concrete = self.current_index()
        if concrete is not None:
            self.client.indices.delete(index=[concrete, meta_index_name(concrete)], ignore_unavailable=True)

    def _call(self, method, **arguments):
        """A client call whose connection failure becomes one readable line."""
        from opensearchpy.exceptions import ConnectionError as ClientConnectionError

        try:
            return method(**arguments)
        except ClientConnectionError as error:
            raise OpenSearchError(f"cannot reach the OpenSearch cluster at {', '.join(self.hosts)} "
                                  f"({type(error.info).__name__ if error.info else 'no answer'}): "
                                  f"is it running? (`vn-search opensearch status --dir DIR` for a local one)") from None

    def reading_index(self, again: bool = False) -> str:
        """The concrete index searches read, looked up once and again only
        when it has gone (``again``): every request of one search then reads
        the same index, even while a rebuild moves the alias."""
        if again or self._reading is None:
            concrete = self.current_index()
            if concrete is None:
                raise OpenSearchIndexMissing(self.url)
            self._reading = concrete
        return self._reading

    def search(self, query: str, limit: int = 10, **options):
        """Ranked ids, scores and the result set's size: see ``opensearch_query.search``.

        A rebuild drops the index a search was reading the moment the alias
        moves; the search then runs again on the new one. (Requests already
        under way on the old index fail for a few milliseconds after the
        alias has moved, hence a few tries.)"""
        from vn_search.backends.opensearch_query import IndexGone, search

        for attempt in range(_SEARCH_TRIES):
            try:
                return search(self, self.reading_index(again=attempt > 0), query, limit, **options)
            except IndexGone:
                if attempt == _SEARCH_TRIES - 1:
                    raise OpenSearchError(f"{self.url}: the index went away during {_SEARCH_TRIES} searches "
                                          f"in a row; is something deleting it?") from None
                time.sleep(0.05 * 2 ** attempt)
