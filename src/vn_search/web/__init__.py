"""The web front end: search pages, a JSON API and a health check.

Three ways in, all over the same blueprint:

    create_app(index_dir="index")                 # a complete Flask app
    app.register_blueprint(search_blueprint(engine), url_prefix="/tin-tuc")
    serve("index", port=5000)                     # what `vn-search serve` runs
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from vn_search.web.security import add_security_headers
from vn_search.web.server import serve
from vn_search.web.views import BLUEPRINT_NAME, render_error_page, search_blueprint

__all__ = ["create_app", "search_blueprint", "serve", "DEFAULT_INDEX_DIR"]

DEFAULT_INDEX_DIR = "index"


def create_app(index_dir: str | os.PathLike | None = None, engine=None, **config: Any) -> Flask:
    """Build the search site.

    Pass an open ``engine`` (tests, embedding) or an ``index_dir``; with
    neither, the ``INDEX_DIR`` config key, then ``$VN_SEARCH_INDEX``, then
    ``./index`` is used. Extra keyword arguments become Flask config
    (``create_app(tmp, TESTING=True)``). The engine opens the index lazily,
    so an app over a missing index starts fine and its pages say how to
    build one.
    """
    # The blueprint brings templates and static files, so the app has none of
    # its own; otherwise its "/static" route would shadow the blueprint's.
    app = Flask(__name__, static_folder=None, template_folder=None)
    app.config.update(config)
    if engine is None:
        from vn_search.engine import SearchEngine

        index_dir = (
            index_dir
            or app.config.get("INDEX_DIR")
            or os.environ.get("VN_SEARCH_INDEX")
            or DEFAULT_INDEX_DIR
        )
        engine = SearchEngine(index_dir)
    app.extensions["vn_search"] = engine
    app.register_blueprint(search_blueprint(engine))
    app.after_request(add_security_headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Only errors outside the blueprint's views reach here (an unknown
        # path, a POST to /search); the blueprint handles its own.
        status = error.code or 500
        if request.path.startswith("/api/"):
            response = jsonify(error=error.description or error.name, status=status)
            response.status_code = status
            return response
        return render_error_page(BLUEPRINT_NAME, status)

    return app
