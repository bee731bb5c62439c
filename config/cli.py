"""The `gcc1111` command: every staff and operator entry point, built explicitly in build_cli()."""

from __future__ import annotations

import asyncio
import getpass
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.settings import Settings, load_settings
from core.clock import BANGKOK
from core.domain import Role, User
from core.errors import ConfigError, DeskError, SchemaError

console = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    return load_settings()


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"gcc1111: {message}\n")
    return typer.Exit(code=2)


# --- db ------------------------------------------------------------------------------------------------------
def db_upgrade() -> None:
    """Apply the database migrations (also done automatically on start)."""
    from core.store.engine import open_engine
    from core.store.migrate import upgrade

    settings = _settings()
    engine = open_engine(settings.store_url)
    revision = upgrade(engine)
    engine.dispose()
    out.print(f"database at revision {revision}")


def db_status() -> None:
    """Show the database's schema revision and the newest this version knows."""
    from core.store.engine import open_engine
    from core.store.migrate import check_known, head_revision

    engine = open_engine(_settings().store_url)
    current = check_known(engine)
    out.print(f"current: {current or 'empty'}; newest known: {head_revision(engine)}")
    engine.dispose()


# --- users ---------------------------------------------------------------------------------------------------
def users_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[Role, typer.Option(help="what the account may do")],
    agency: Annotated[str | None, typer.Option(help="agency code, required for coordinators")] = None,
    display_name: Annotated[str, typer.Option(help="name shown in the desk")] = "",
    emergency: Annotated[bool, typer.Option(help="may publish emergency posts without approval")] = False,
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
    generate: Annotated[bool, typer.Option(help="generate a strong password and print it once")] = False,
) -> None:
    """Create a staff account (the first admin, or any other)."""
    from config.wiring import load_agencies_default
    from core.clock import SystemClock
    from core.store import Store

    if role is Role.COORDINATOR and not agency:
        raise _fail("a coordinator needs --agency (its cases are the only ones it sees)")
    if agency and agency not in load_agencies_default():
        raise _fail(f"unknown agency code {agency!r}: see config/agencies.yaml")
    password = _read_password(password_stdin, generate)
    store = Store.open(_settings().store_url, SystemClock())
    try:
        user = store.users.add(
            User(username=name, role=role, agency=agency, display_name=display_name, can_emergency_post=emergency),
            password,
        )
        store.audit.record("cli", "user.add", name, role=role.value, agency=agency)
    finally:
        store.close()
    out.print(f"created {user.username} ({user.role.value}{', ' + user.agency if user.agency else ''})")
    if generate:
        out.print(f"password: {password}")


def _read_password(from_stdin: bool, generate: bool) -> str:
    if generate:
        return secrets.token_urlsafe(15)
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise _fail("no terminal to ask for a password: use --password-stdin or --generate")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise _fail("the two passwords differ")
    return first


def users_list() -> None:
    """List staff accounts and their roles."""
    from core.clock import SystemClock
    from core.store import Store

    store = Store.open(_settings().store_url, SystemClock())
    table = Table("user", "role", "agency", "active")
    for user in store.users.all():
        table.add_row(user.username, user.role.value, user.agency or "", "yes" if user.active else "no")
    store.close()
    out.print(table)


# --- sources -------------------------------------------------------------------------------------------------
def sources_status() -> None:
    """Each connector's health: last success, last error, next retry, token expiry."""
    from config.wiring import build_system, describe_enabled
    from core.clock import SystemClock

    settings = _settings()
    system = build_system(settings, SystemClock())
    try:
        now = system.clock.now()
        table = Table("source", "state", "stored", "last success (ICT)", "last error", "next retry (ICT)", "token")
        known = {h.source: h for h in system.store.health.all()}
        for name in sorted(set(known) | set(system.listener.sources)):
            health = known.get(name)
            if health is None:
                table.add_row(name, "never polled", "0", "", "", "", "")
                continue
            state = "token expired" if health.auth_broken else ("ok" if health.healthy else "backing off")
            token = ""
            if health.token_expires_at is not None:
                days = (health.token_expires_at - now).days
                token = f"expires in {days} d" + (" ⚠" if days < 7 else "")
            table.add_row(name, state, str(health.mentions_stored), _local(health.last_success_at),
                          health.last_error[:60], _local(health.next_retry_at), token)
        out.print(describe_enabled(settings))
        out.print(table)
    finally:
        system.close()


def _local(moment: object) -> str:
    from datetime import datetime

    if not isinstance(moment, datetime):
        return ""
    return moment.astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S")


# --- mentions ------------------------------------------------------------------------------------------------
def mentions_export(
    format: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    output: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")] = None,
) -> None:
    """Export every mention, personal data redacted."""
    from config.export import export_mentions
    from core.clock import SystemClock
    from core.store import Store

    if format not in ("jsonl", "csv"):
        raise _fail("--format must be jsonl or csv")
    store = Store.open(_settings().store_url, SystemClock())
    try:
        if output is None:
            count = export_mentions(store, format, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = export_mentions(store, format, handle)
    finally:
        store.close()
    console.print(f"exported {count} mentions")


# --- faq ------------------------------------------------------------------------------------------------------
def faq_ask(
    question: Annotated[str, typer.Argument(help="a question as a citizen would write it")],
    top: Annotated[int, typer.Option(help="how many matches to show")] = 3,
) -> None:
    """Show the knowledge-base entries that best answer a question, with their scores."""
    from datetime import date

    from bots.knowledge import KnowledgeBase, load_faq, thai_tokenizer
    from config.settings import CONFIG_DIR

    settings = _settings()
    knowledge = KnowledgeBase(load_faq(CONFIG_DIR / "faq"), thai_tokenizer())
    threshold = settings.responder.faq_min_score
    table = Table("entry", "agency", "status", "bm25", "coverage", "answers the public?")
    today = date.today()
    for match in knowledge.search(question, k=top):
        entry = match.entry
        ok = entry.answers_public(today) and match.coverage >= threshold
        why = "yes" if ok else ("below threshold" if match.coverage < threshold else
                                ("draft" if entry.status != "approved" else "past review date"))
        table.add_row(entry.id, entry.agency, entry.status, f"{match.score:.2f}", f"{match.coverage:.2f}", why)
    out.print(table)
    out.print(f"threshold (GCC1111_RESPONDER__FAQ_MIN_SCORE): {threshold}")


def faq_check() -> None:
    """List knowledge-base entries that are drafts or past their review date."""
    from datetime import date

    from bots.knowledge import load_faq
    from config.settings import CONFIG_DIR

    today = date.today()
    table = Table("entry", "agency", "status", "review by", "needs")
    for entry in load_faq(CONFIG_DIR / "faq"):
        if entry.status != "approved" or entry.needs_review(today):
            needs = "approval" if entry.status != "approved" else "review (date passed)"
            table.add_row(entry.id, entry.agency, entry.status, entry.review_by.isoformat(), needs)
    out.print(table)


def faq_evaluate(
    data: Annotated[Path, typer.Option(help='JSONL file, one {"text": ..., "expected": faq id or null} a line')],
    threshold: Annotated[float | None, typer.Option(help="coverage threshold (default: the configured one)")] = None,
    today: Annotated[str | None, typer.Option(help="judge drafts and review dates as of YYYY-MM-DD")] = None,
) -> None:
    """Measure the knowledge base on held-out questions: precision of automatic answers and coverage."""
    from datetime import date, datetime

    from bots.faq_eval import SWEEP, evaluate, load_examples, sweep, unknown_ids
    from bots.knowledge import KnowledgeBase, load_faq, thai_tokenizer
    from config.settings import CONFIG_DIR

    chosen = _settings().responder.faq_min_score if threshold is None else threshold
    try:
        day = date.fromisoformat(today) if today else datetime.now(BANGKOK).date()
    except ValueError:
        raise _fail(f"--today {today!r} is not a date (YYYY-MM-DD)") from None
    knowledge = KnowledgeBase(load_faq(CONFIG_DIR / "faq"), thai_tokenizer())
    examples = load_examples(data)
    if unknown := unknown_ids(examples, knowledge):
        raise _fail(f"{data}: expected ids not in config/faq: {', '.join(unknown)}")
    report = evaluate(knowledge, examples, chosen, day)
    figures = Table("figure", "value", title=f"{data.name}: {len(examples)} questions, threshold {chosen:.2f}")
    for verdict in ("answered-correct", "answered-wrong", "abstained-correct", "abstained-missed"):
        figures.add_row(verdict, str(report.count(verdict)))
    figures.add_row("held back (draft or past review)", str(report.held_back))
    figures.add_row("accuracy@1 (covered questions)", f"{report.accuracy_at_1:.3f}")
    figures.add_row("precision of automatic answers", f"{report.precision:.3f}" if report.answered else "n/a")
    figures.add_row("coverage (answered / covered)", f"{report.coverage:.3f}")
    out.print(figures)
    table = Table("threshold", "answered", "wrong", "precision", "coverage", title="choosing a threshold")
    for row in sweep(knowledge, examples, SWEEP, day):
        table.add_row(f"{row.threshold:.2f}", str(row.answered), str(row.count("answered-wrong")),
                      f"{row.precision:.3f}" if row.answered else "n/a", f"{row.coverage:.3f}")
    out.print(table)
    for wrong in report.errors():
        posted = wrong.answered.entry.id if wrong.answered else ""
        out.print(f"wrong answer: {wrong.example.text!r} got {posted} (expected {wrong.example.expected or 'none'})")


# --- listen / run / demo -------------------------------------------------------------------------------------
def listen(
    once: Annotated[bool, typer.Option(help="poll every enabled source once and exit")] = False,
    source: Annotated[str | None, typer.Option(help="only this source, e.g. facebook.feed")] = None,
) -> None:
    """Poll the enabled sources (once, or on their schedules until Ctrl-C)."""
    from config.runner import listen_command

    listen_command(_settings(), once=once, only=source)


def run(
    once: Annotated[bool, typer.Option(help="run a single cycle of every stage and exit")] = False,
) -> None:
    """Run every enabled stage: listen, classify, respond, broadcast, and the web desk."""
    from config.runner import run_command

    run_command(_settings(), once=once)


def demo(
    data_dir: Annotated[Path, typer.Option(help="where the demo keeps its database")] = Path("data/demo"),
    port: Annotated[int, typer.Option(help="dashboard port")] = 8111,
    seconds: Annotated[float, typer.Option(help="stop by itself after this many seconds (0: run until Ctrl-C)")] = 0,
    fresh: Annotated[bool, typer.Option(help="start from an empty demo database")] = True,
) -> None:
    """Start the sandbox platforms and the whole desk against them, on SQLite, with demo logins."""
    from config.demo import run_demo

    asyncio.run(run_demo(data_dir=data_dir, port=port, seconds=seconds, fresh=fresh))


def build_cli() -> typer.Typer:
    """Assemble the command tree (explicitly: no decorator-filled registries)."""
    app = typer.Typer(help="GCC 1111 Social Desk: listen, classify, respond and broadcast.", no_args_is_help=True,
                      pretty_exceptions_enable=False, add_completion=False)
    app.command("demo")(demo)
    app.command("run")(run)
    app.command("listen")(listen)

    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    db.command("status")(db_status)
    app.add_typer(db, name="db")

    users = typer.Typer(help="Staff accounts.", no_args_is_help=True)
    users.command("add")(users_add)
    users.command("list")(users_list)
    app.add_typer(users, name="users")

    sources = typer.Typer(help="Connectors.", no_args_is_help=True)
    sources.command("status")(sources_status)
    app.add_typer(sources, name="sources")

    mentions = typer.Typer(help="Stored mentions.", no_args_is_help=True)
    mentions.command("export")(mentions_export)
    app.add_typer(mentions, name="mentions")

    faq = typer.Typer(help="The FAQ knowledge base in config/faq/.", no_args_is_help=True)
    faq.command("ask")(faq_ask)
    faq.command("check")(faq_check)
    faq.command("evaluate")(faq_evaluate)
    app.add_typer(faq, name="faq")

    for register in _extensions():
        register(app)
    return app


def _extensions() -> list[Callable[[typer.Typer], None]]:
    """Command groups owned by other capabilities, added in one visible place."""
    from config.cli_broadcast import register as broadcast_commands
    from config.cli_nlp import register as classifier_commands

    return [classifier_commands, broadcast_commands]


def main() -> None:
    """Entry point: errors we expect become one clear line and exit code 2."""
    try:
        build_cli()(standalone_mode=True)
    except (ConfigError, SchemaError) as exc:
        # One line naming the problem (and the variable), never a traceback.
        sys.stderr.write(f"gcc1111: {exc}\n")
        raise SystemExit(2) from None
    except DeskError as exc:
        sys.stderr.write(f"gcc1111: {exc}\n")
        raise SystemExit(1) from None
