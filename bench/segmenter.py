"""Benchmark: vn_search.analysis.pyvi_fast against pyvi, on real news text.

    .venv/bin/python bench/segmenter.py [--sentences 20000] [--rounds 3]

Takes a fixed-seed sample of lines and sentences from ../shared/data (half
vietnews test, half baomoi), checks that the fast segmenter returns exactly
pyvi's output on every one of them, then times pyvi and the fast version
(with and without its line cache) in the same process, interleaved round by
round so that load from other processes hits them alike. Prints a table and
writes bench/results/segmenter.json.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import platform
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pyvi's regexes use invalid escapes, which warn on Python 3.12+.
    warnings.simplefilter("ignore")
    from pyvi import ViTokenizer

from vn_search.analysis import pyvi_fast

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
SOURCES = {
    "vietnews-test": DATA / "vietnews" / "test.jsonl.gz",
    "baomoi": DATA / "baomoi-vinews-2017" / "baomoi.jsonl.gz",
}
RESULTS = REPO / "bench" / "results" / "segmenter.json"
GOAL_RATIO = 2.5
SEED = 20240401
# baomoi bodies are one long line per article: cut them into sentences.
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def article_lines(article: dict) -> list[str]:
    """Title, summary and body of one article as non-blank lines/sentences."""
    lines = [article.get("title", ""), article.get("summary", "")]
    for line in article.get("body", "").split("\n"):
        lines.extend(SENTENCE_END.split(line) if len(line) > 400 else [line])
    return [line for line in lines if line.strip()]


def sample_lines(path: Path, count: int, rng: random.Random) -> list[str]:
    """``count`` lines from randomly chosen articles of one gzip JSONL file.

    Whole articles are drawn, then lines shuffled, so the repetition of real
    text (bylines, captions, boilerplate) survives in the sample.
    """
    with gzip.open(path, "rt", encoding="utf-8") as fin:
        raw_articles = fin.readlines()
    rng.shuffle(raw_articles)
    lines: list[str] = []
    for raw in raw_articles:
        lines.extend(article_lines(json.loads(raw)))
        if len(lines) >= 3 * count:
            break
    rng.shuffle(lines)
    return lines[:count]


def load_sentences(total: int) -> list[str]:
    rng = random.Random(SEED)
    missing = [str(p) for p in SOURCES.values() if not p.exists()]
    if missing:
        sys.exit(f"bench/segmenter.py: data files not found: {', '.join(missing)}")
    per_source = [total // len(SOURCES)] * len(SOURCES)
    per_source[0] += total - sum(per_source)
    sentences: list[str] = []
    for path, count in zip(SOURCES.values(), per_source):
        sentences += sample_lines(path, count, rng)
    rng.shuffle(sentences)
    return sentences


# --- timing -----------------------------------------------------------------


def run_pyvi(sentences):
    return [ViTokenizer.tokenize(s) for s in sentences]


def run_fast_uncached(sentences):
    return [pyvi_fast.tokenize(s, cache=False) for s in sentences]


def run_fast(sentences):
    return [pyvi_fast.tokenize(s) for s in sentences]


IMPLEMENTATIONS = {
    "pyvi": run_pyvi,
    "pyvi_fast (no line cache)": run_fast_uncached,
    "pyvi_fast": run_fast,
}


def timed(run, sentences) -> tuple[float, list[str]]:
    # Every run starts cold: the fast version's line cache and syllable
    # table are emptied so a round cannot profit from the one before.
    pyvi_fast.clear_caches()
    gc.collect()
    start = time.perf_counter()
    outputs = run(sentences)
    return time.perf_counter() - start, outputs


def count_mismatches(expected: list[str], actual: list[str], sentences, label, shown):
    mismatches = 0
    for sentence, want, got in zip(sentences, expected, actual):
        if want != got:
            mismatches += 1
            if len(shown) < 5:
                shown.append((label, sentence, want, got))
    return mismatches


def check_words(sentences, expected) -> int:
    """tokenize_words must be tokenize(...).split(" ") (or [] when empty)."""
    bad = 0
    for sentence, want in zip(sentences, expected):
        words = pyvi_fast.tokenize_words(sentence, cache=False)
        # No words means no syllables, and then pyvi hands the input back.
        ok = words == want.split(" ") if words else want == sentence
        bad += not ok
    return bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    sentences = load_sentences(args.sentences)
    chars = sum(map(len, sentences))
    print(f"{len(sentences)} sentences, {chars} characters, seed {SEED}")

    # Warm-up: load both models, open the taggers, fill CPU caches.
    warm = sentences[:300]
    for run in IMPLEMENTATIONS.values():
        run(warm)

    seconds: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    mismatches = {name: 0 for name in IMPLEMENTATIONS if name != "pyvi"}
    shown: list[tuple] = []
    expected = None
    for round_no in range(args.rounds):
        for name, run in IMPLEMENTATIONS.items():
            elapsed, outputs = timed(run, sentences)
            seconds[name].append(elapsed)
            if name == "pyvi":
                expected = expected or outputs
            elif round_no == 0:
                mismatches[name] = count_mismatches(expected, outputs, sentences, name, shown)
        print(f"round {round_no + 1}: " + ", ".join(f"{n} {s[-1]:.2f}s" for n, s in seconds.items()))
    word_mismatches = check_words(sentences, expected)

    base = statistics.median(seconds["pyvi"])
    rows = []
    for name, runs in seconds.items():
        median = statistics.median(runs)
        rows.append(
            {
                "impl": name,
                "sentences": len(sentences),
                "seconds_median": round(median, 4),
                "seconds_runs": [round(s, 4) for s in runs],
                "chars_per_s": round(chars / median),
                "sentences_per_s": round(len(sentences) / median),
                "ratio_vs_pyvi": round(base / median, 2),
            }
        )
    print_table(rows)

    total_mismatches = sum(mismatches.values()) + word_mismatches
    uncached = rows[1]["ratio_vs_pyvi"]
    cached = rows[2]["ratio_vs_pyvi"]
    print(
        f"\ngoal: >= {GOAL_RATIO}x and 0 mismatches | measured: {cached}x with line cache, "
        f"{uncached}x without, {total_mismatches} mismatches "
        f"(tokenize: {mismatches}, tokenize_words: {word_mismatches})"
    )
    for label, sentence, want, got in shown:
        print(f"\nMISMATCH [{label}] {sentence!r}\n  pyvi: {want!r}\n  fast: {got!r}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "goal": {"ratio_vs_pyvi": GOAL_RATIO, "mismatches": 0},
                "met": total_mismatches == 0 and uncached >= GOAL_RATIO,
                "sentences": len(sentences),
                "characters": chars,
                "seed": SEED,
                "rounds": args.rounds,
                "timing": "median of rounds; implementations interleaved in each round; caches cleared before every run",
                "mismatches": {"tokenize": mismatches, "tokenize_words": word_mismatches},
                "rows": rows,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {RESULTS.relative_to(REPO)}")
    return 0 if total_mismatches == 0 else 1


def print_table(rows) -> None:
    header = ["impl", "sentences", "chars/s", "sentences/s", "ratio vs pyvi"]
    cells = [
        [r["impl"], str(r["sentences"]), f"{r['chars_per_s']:,}", f"{r['sentences_per_s']:,}", f"{r['ratio_vs_pyvi']:.2f}x"]
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    line = lambda values: " | ".join(v.ljust(w) for v, w in zip(values, widths))  # noqa: E731
    print()
    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for c in cells:
        print(line(c))


if __name__ == "__main__":
    sys.exit(main())
