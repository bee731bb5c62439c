"""`gcc1111 classify`, `gcc1111 train` and `gcc1111 evaluate`: the classifier's command-line entry points."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from core.domain import Correction
    from nlp.train import TrainParams

NLP_DIR = Path(__file__).resolve().parent.parent / "nlp"
DEFAULT_TRAIN_DIR = NLP_DIR / "data" / "train"

err = Console(stderr=True)
out = Console()


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"gcc1111: {message}\n")
    return typer.Exit(code=2)


def classify(
    input: Annotated[Path | None, typer.Option("--input", help="JSON Lines file to read (default: standard input)",
                                               dir_okay=False)] = None,
    model: Annotated[Path | None, typer.Option("--model", help="model file (default: the shipped model)",
                                               dir_okay=False)] = None,
    batch_size: Annotated[int, typer.Option(help="posts classified together", min=1)] = 1000,
) -> None:
    """Classify JSON Lines {"id", "text"} into {"id", "label", "confidence", "agency", "agency_confidence",
    "urgent"}, one output line per input line, in order. Bad lines get {"id", "line", "error"}.
    Needs no database and no network.
    """
    from nlp.jsonl import classify_stream
    from nlp.model import ModelError, ThaiClassifier

    try:
        classifier = ThaiClassifier.load(model)
    except ModelError as exc:
        raise _fail(str(exc)) from None
    sink = sys.stdout.buffer
    if input is None:
        stats = classify_stream(classifier, sys.stdin.buffer, sink, batch_size)
    else:
        try:
            source: BinaryIO = input.open("rb")
        except OSError as exc:
            raise _fail(f"cannot read {input}: {exc.strerror}") from None
        with source:
            stats = classify_stream(classifier, source, sink, batch_size)
    if stats.errors:
        err.print(f"{stats.errors} of {stats.lines} lines could not be classified (see their \"error\")")


def train(
    include_corrections: Annotated[bool, typer.Option(
        "--include-corrections", help="also learn from analysts' relabels stored in the database")] = False,
    output: Annotated[Path | None, typer.Option(help="where to write the model (default: the shipped model file)",
                                                dir_okay=False)] = None,
    data: Annotated[Path, typer.Option(help="folder of labelled *.jsonl files", file_okay=False)] = DEFAULT_TRAIN_DIR,
) -> None:
    """Train the classifier from the labelled corpus (deterministic: same data, same model and version).

    Prints the cross-validated scores on the training data; the test split is never read.
    """
    from nlp.corpus import CorpusError, corpus_files, examples_from_corrections, load_examples
    from nlp.model import DEFAULT_MODEL, write_model
    from nlp.train import train as train_model

    files = corpus_files(data)
    if not files:
        raise _fail(f"no *.jsonl files in {data}")
    try:
        examples = load_examples(files)
    except CorpusError as exc:
        raise _fail(f"bad training data: {exc}") from None
    if include_corrections:
        corrected = _corrections()
        examples += examples_from_corrections(corrected)
        err.print(f"with {len(corrected)} analyst corrections")
    err.print(f"training on {len(examples)} posts from {len(files)} files …")
    result = train_model(examples, train_params())
    target = output or DEFAULT_MODEL
    write_model(result.arrays, target)
    out.print(f"model {result.arrays.version} written to {target}")
    out.print("cross-validated on the training data:")
    _print_report(result.cross_validation.as_dict())


def train_params() -> TrainParams:
    """The parameters `train` uses: the defaults, chosen by cross-validation on the training split."""
    from nlp.train import TrainParams

    return TrainParams()


def _corrections() -> list[tuple[str, Correction]]:
    from config.settings import load_settings
    from core.clock import SystemClock
    from core.errors import DeskError
    from core.store import Store

    try:
        store = Store.open(load_settings().store_url, SystemClock())
    except DeskError as exc:
        raise _fail(str(exc)) from None
    try:
        return list(store.classifications.corrected_texts())
    finally:
        store.close()


def evaluate(
    data: Annotated[list[Path], typer.Option(help="labelled *.jsonl file (or folder of them); repeatable")],
    model: Annotated[Path | None, typer.Option(help="model file (default: the shipped model)",
                                               dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Score the classifier on labelled posts: per-class precision/recall/F1, macro-F1, confusion matrix,
    agency top-1 accuracy and urgent precision/recall."""
    from nlp.corpus import CorpusError, corpus_files
    from nlp.evaluate import evaluate as run_evaluation
    from nlp.model import ModelError, ThaiClassifier

    files = [f for path in data for f in (corpus_files(path) if path.is_dir() else [path])]
    missing = [str(f) for f in files if not f.is_file()]
    if missing or not files:
        raise _fail(f"no such data file: {', '.join(missing) or data}")
    try:
        classifier = ThaiClassifier.load(model)
        report = run_evaluation(classifier, files)
    except (ModelError, CorpusError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        out.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    out.print(f"model {report.model_version} on {report.n} posts from {len(files)} file(s)")
    _print_report(report.as_dict())


def _print_report(report: dict[str, object]) -> None:
    per_class = report["per_class"]
    assert isinstance(per_class, dict)
    table = Table("label", "precision", "recall", "F1", "support", title="labels")
    for name, scores in per_class.items():
        table.add_row(name, f"{scores['precision']:.3f}", f"{scores['recall']:.3f}", f"{scores['f1']:.3f}",
                      str(scores["support"]))
    table.add_row("macro", "", "", f"{report['macro_f1']:.3f}", str(report["n"]), style="bold")
    out.print(table)
    confusion = report["confusion"]
    assert isinstance(confusion, dict)
    matrix = Table("gold \\ predicted", *confusion["labels"], title="confusion matrix")
    for name, row in zip(confusion["labels"], confusion["rows_gold_columns_predicted"], strict=True):
        matrix.add_row(name, *(str(v) for v in row))
    out.print(matrix)
    summary = Table("measure", "value", title="agency and urgency")
    summary.add_row("agency top-1 accuracy (posts with an agency)", f"{report['agency_accuracy']:.3f}")
    summary.add_row("agency accuracy incl. null", f"{report['agency_accuracy_including_null']:.3f}")
    summary.add_row("urgent precision", f"{report['urgent_precision']:.3f}")
    summary.add_row("urgent recall", f"{report['urgent_recall']:.3f}")
    summary.add_row("urgent posts", str(report["urgent_support"]))
    out.print(summary)


def register(app: typer.Typer) -> None:
    """Add classify, train and evaluate to the given Typer app."""
    app.command("classify")(classify)
    app.command("train")(train)
    app.command("evaluate")(evaluate)


def build_app() -> typer.Typer:
    """A stand-alone app with just these commands (tests and `python -m config.cli_nlp`)."""
    app = typer.Typer(help="GCC 1111 Thai classifier", no_args_is_help=True, pretty_exceptions_enable=False,
                      add_completion=False)
    register(app)
    return app


if __name__ == "__main__":
    build_app()()
