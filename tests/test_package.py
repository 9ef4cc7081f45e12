"""What installing and importing vn-search shows a user (#14): the package's
namespace, its metadata, and the README's claims about the test suite."""

import re
import tomllib
import types
from pathlib import Path

import vn_search

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_exports_only_its_api():
    public = {
        name for name, value in vars(vn_search).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # submodules are attributes
    }
    assert public == set(vn_search.__all__)
    for leaked in ("Path", "annotations", "warnings"):
        assert not hasattr(vn_search, leaked)
    assert all(hasattr(vn_search, name) for name in vn_search.__all__)


def test_star_import_brings_the_api_only():
    namespace: dict = {}
    exec("from vn_search import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(vn_search.__all__)


def test_license_is_an_spdx_string_so_pip_does_not_warn():
    # setuptools >= 77 warns on every build that a `license = {text = ...}`
    # table is deprecated; the SPDX string is the current form.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    requires = " ".join(project["build-system"]["requires"])
    assert re.search(r"setuptools>=(\d+)", requires) and int(re.search(r"setuptools>=(\d+)", requires).group(1)) >= 77


def test_readme_counts_the_browser_tests_right():
    browser_tests = re.findall(r"^def test_", (ROOT / "tests" / "test_browser.py").read_text(encoding="utf-8"), re.M)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "that one test" not in readme
    counts = {int(n) for n in re.findall(r"\b(\d+) browser tests\b|\bthose (\d+) tests\b", readme) for n in n if n}
    assert counts == {len(browser_tests)}


def test_importing_leaves_the_host_processs_warning_filters_alone():
    # An application that embeds vn_search keeps the warnings it asked for.
    import subprocess
    import sys

    code = ("import warnings; warnings.simplefilter('error', SyntaxWarning); before = list(warnings.filters); "
            "import vn_search; print(warnings.filters == before)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True", result.stderr
