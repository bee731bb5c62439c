"""Recent-search query matching for the X stand-in: keywords, "phrases", #hashtags, OR, -, ( ) and a few operators.

X's rules, kept: a space means AND and binds tighter than OR; `-` negates a term or group; quoted
text is an exact phrase. Latin keywords match whole words, case-insensitively (X tokenises on
spaces and punctuation); Thai has no spaces between words, so Thai keywords match as substrings.
Operators understood: `from:`, `lang:`, `is:reply`, `is:retweet` (the stand-in has no retweets).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_QUERY_LENGTH = 512
_TOKEN = re.compile(r'-?"[^"]*"|[()]|-?\(|[^\s()]+')
_LATIN = re.compile(r"[A-Za-z0-9_]+")
# What may follow a hashtag without being part of it (Thai vowel marks are, so \w would cut them).
_HASHTAG_END = r"(?=$|[\s.,!?;:()\[\]{}\"'…。、])"


@dataclass(frozen=True)
class Candidate:
    """The parts of a tweet a query can look at."""

    text: str
    author_handle: str
    lang: str
    is_reply: bool
    is_retweet: bool = False


Predicate = Callable[[Candidate], bool]


class QueryError(ValueError):
    """The query cannot be parsed; the stand-in answers 400 as X does."""


def compile_query(query: str) -> Predicate:
    """Turn a recent-search query into a predicate over candidates."""
    if not query.strip():
        raise QueryError("query must not be empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
    parser = _Parser(_TOKEN.findall(query))
    predicate = parser.expression()
    if parser.peek() is not None:
        raise QueryError(f"unexpected {parser.peek()!r}")
    return predicate


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._at = 0

    def peek(self) -> str | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def _take(self) -> str:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def expression(self) -> Predicate:
        alternatives = [self._conjunction()]
        while self.peek() == "OR":
            self._take()
            alternatives.append(self._conjunction())
        return lambda c: any(p(c) for p in alternatives)

    def _conjunction(self) -> Predicate:
        terms: list[Predicate] = []
        while self.peek() not in (None, "OR", ")"):
            terms.append(self._unary())
        if not terms:
            raise QueryError("an OR or a group has nothing on one side")
        return lambda c: all(p(c) for p in terms)

    def _unary(self) -> Predicate:
        token = self._take()
        if token in ("(", "-("):
            inner = self.expression()
            if self.peek() != ")":
                raise QueryError("unbalanced parentheses")
            self._take()
            return (lambda c: not inner(c)) if token == "-(" else inner
        if token == ")":
            raise QueryError("unbalanced parentheses")
        if token.startswith("-") and len(token) > 1:
            positive = _term(token[1:])
            return lambda c: not positive(c)
        return _term(token)


def _term(token: str) -> Predicate:
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        phrase = token[1:-1].casefold()
        return lambda c: phrase in c.text.casefold()
    name, _, value = token.partition(":")
    if value and name in {"from", "lang", "is"}:
        return _operator(name, value)
    if token.startswith("#") and len(token) > 1:
        tag = re.compile(re.escape(token) + _HASHTAG_END, re.IGNORECASE)
        return lambda c: tag.search(c.text) is not None
    if _LATIN.fullmatch(token):
        word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])", re.IGNORECASE)
        return lambda c: word.search(c.text) is not None
    needle = token.casefold()
    return lambda c: needle in c.text.casefold()


def _operator(name: str, value: str) -> Predicate:
    if name == "from":
        handle = value.removeprefix("@").casefold()
        return lambda c: c.author_handle.casefold() == handle
    if name == "lang":
        return lambda c: c.lang == value
    if value == "reply":
        return lambda c: c.is_reply
    if value == "retweet":
        return lambda c: c.is_retweet
    raise QueryError(f"unknown operator is:{value}")
