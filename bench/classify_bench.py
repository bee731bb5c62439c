"""Classification benchmark: the shipped classifier against the plain baseline, same input, same run.

Baseline: PyThaiNLP newmm word tokens plus character n-grams, TF-IDF, scikit-learn LinearSVC, trained
here on the same training split. Both classify the same posts (the held-out test split, repeated to
--posts) on one core, in batches of --batch. Reported for each: posts per second (wall clock, and per
CPU second of this process, which other load on the machine does not skew), peak traced memory while
classifying, model load/training time, and macro-F1 on the test split; and, for the record, how fast
PyThaiNLP's newmm and nlpo3 word tokenisers alone get through the same posts.

    python -m bench.classify_bench [--posts 20000] [--batch 2000] [--model PATH]

Prints a Markdown table and writes bench/results/classify.json.
"""

from __future__ import annotations

import os

# One core: set before numpy, scipy or scikit-learn are imported.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from nlp.corpus import Example, corpus_files, load_examples  # noqa: E402
from nlp.evaluate import score  # noqa: E402
from nlp.model import ThaiClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

Predict = Callable[[Sequence[str]], list[str]]


@dataclass(frozen=True)
class Measurement:
    name: str
    posts: int
    posts_per_second: float
    posts_per_cpu_second: float
    peak_memory_mb: float
    macro_f1: float
    setup_seconds: float


def ours(model: Path | None) -> tuple[Predict, float]:
    """The shipped classifier (load time counts as its setup)."""
    started = time.perf_counter()
    classifier = ThaiClassifier.load(model)
    setup = time.perf_counter() - started

    def predict(texts: Sequence[str]) -> list[str]:
        return [c.label.value for c in classifier.classify(texts)]

    return predict, setup


def baseline(train: Sequence[Example]) -> tuple[Predict, float]:
    """newmm words + char n-grams, TF-IDF, LinearSVC, trained on `train` (training time is its setup)."""
    from pythainlp.tokenize import word_tokenize
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    def newmm(text: str) -> list[str]:
        return [token for token in word_tokenize(text, engine="newmm") if not token.isspace()]

    started = time.perf_counter()
    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer=newmm, sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
        ),
        LinearSVC(C=1.0, random_state=0),
    )
    model.fit([e.text for e in train], [e.label.value for e in train])
    setup = time.perf_counter() - started

    def predict(texts: Sequence[str]) -> list[str]:
        return [str(label) for label in model.predict(list(texts))]

    return predict, setup


def measure(name: str, predict: Predict, setup: float, posts: Sequence[str], test: Sequence[Example],
            batch: int) -> Measurement:
    """Throughput on `posts`, peak memory on one batch, macro-F1 on `test`."""
    predict(posts[:batch])  # warm-up: lazy tables, dictionaries
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(posts), batch):
        predict(posts[start : start + batch])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tracemalloc.start()
    predict(posts[:batch])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    predicted = predict([e.text for e in test])
    gold = [e.label.value for e in test]
    none = [None] * len(test)
    f1 = score(gold, predicted, none, none, [False] * len(test), [False] * len(test)).macro_f1
    return Measurement(name=name, posts=len(posts), posts_per_second=len(posts) / wall,
                       posts_per_cpu_second=len(posts) / cpu, peak_memory_mb=peak / 2**20, macro_f1=f1,
                       setup_seconds=setup)


def tokenizer_speeds(posts: Sequence[str]) -> dict[str, float]:
    """Posts per second of PyThaiNLP's newmm and nlpo3 (Rust) word tokenisers on the same posts.

    Recorded to justify the design: the classifier hashes character n-grams instead of words, since
    even nlpo3 alone would use up most of the time budget of 20,000 posts per second.
    """
    from pythainlp.tokenize import word_tokenize

    speeds = {}
    for engine in ("newmm", "nlpo3"):
        word_tokenize(posts[0], engine=engine)  # loads the dictionary
        started = time.process_time()
        for post in posts:
            word_tokenize(post, engine=engine)
        speeds[engine] = len(posts) / (time.process_time() - started)
    return speeds


def table(rows: Sequence[Measurement], batch: int) -> str:
    lines = [
        f"| classifier | posts/s (wall) | posts/s (CPU) | peak memory per {batch}-post batch | macro-F1 (test) |"
        " setup |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.name} | {r.posts_per_second:,.0f} | {r.posts_per_cpu_second:,.0f} | "
                     f"{r.peak_memory_mb:,.1f} MB | {r.macro_f1:.3f} | {r.setup_seconds:.1f} s |")
    ours_row, base_row = rows
    lines.append("")
    lines.append(f"speed-up: {ours_row.posts_per_second / base_row.posts_per_second:.1f}x wall, "
                 f"{ours_row.posts_per_cpu_second / base_row.posts_per_cpu_second:.1f}x CPU")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=20_000, help="posts to classify for the speed figure")
    parser.add_argument("--batch", type=int, default=2_000, help="posts per classify call")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--train", type=Path, default=ROOT / "nlp" / "data" / "train")
    parser.add_argument("--test", type=Path, default=ROOT / "nlp" / "data" / "test")
    parser.add_argument("--output", type=Path, default=RESULTS / "classify.json")
    args = parser.parse_args(argv)

    train = load_examples(corpus_files(args.train))
    test = load_examples(corpus_files(args.test))
    texts = [e.text for e in test]
    posts = (texts * (args.posts // len(texts) + 1))[: args.posts]

    predict, setup = ours(args.model)
    ours_row = measure("thai-hash (this)", predict, setup, posts, test, args.batch)
    predict, setup = baseline(train)
    base_row = measure("baseline newmm+char TF-IDF LinearSVC", predict, setup, posts, test, args.batch)
    rows = [ours_row, base_row]

    speeds = tokenizer_speeds(posts[:3000])
    report = table(rows, args.batch) + "\n\nword tokenisers alone (posts per CPU second): " + ", ".join(
        f"{engine} {speed:,.0f}" for engine, speed in speeds.items()
    )
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "model_version": ThaiClassifier.load(args.model).version,
        "train_posts": len(train), "test_posts": len(test), "batch": args.batch,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "results": [asdict(r) for r in rows],
        "tokenizers_posts_per_cpu_second": speeds,
        "speedup_wall": ours_row.posts_per_second / base_row.posts_per_second,
        "speedup_cpu": ours_row.posts_per_cpu_second / base_row.posts_per_cpu_second,
        "markdown": report,
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
