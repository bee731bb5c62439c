"""X API v2 wire format for the stand-in: the tweet object, problem bodies, parameter checks, ids and tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.server import Response, json_response

X_EPOCH_MS = 1288834974657  # the snowflake epoch: ids carry their creation time
TWEET_FIELDS = {
    "attachments", "author_id", "context_annotations", "conversation_id", "created_at", "edit_controls",
    "entities", "geo", "id", "in_reply_to_user_id", "lang", "possibly_sensitive", "public_metrics",
    "referenced_tweets", "reply_settings", "source", "text", "withheld",
}
USER_FIELDS = {"created_at", "description", "id", "location", "name", "profile_image_url", "protected",
               "public_metrics", "url", "username", "verified"}
EXPANSIONS = {"author_id", "referenced_tweets.id", "in_reply_to_user_id", "entities.mentions.username"}
PROBLEMS = "https://api.twitter.com/2/problems/"


@dataclass
class Tweet:
    """One tweet as the stand-in keeps it; `json` renders what X would send for the requested fields."""

    id: str
    text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    lang: str = "th"
    replied_to: str = ""
    in_reply_to_user_id: str = ""
    deleted: bool = False

    def json(self, fields: set[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "author_id": self.author_id,
            "conversation_id": self.conversation_id,
            "created_at": iso(self.created_at),
            "lang": self.lang,
        }
        if self.replied_to:
            full["referenced_tweets"] = [{"type": "replied_to", "id": self.replied_to}]
            full["in_reply_to_user_id"] = self.in_reply_to_user_id
        body = {k: v for k, v in full.items() if k in fields}
        body.update(id=self.id, text=self.text, edit_history_tweet_ids=[self.id])
        return dict(sorted(body.items()))


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any) -> dict[str, Any]:
    """An RFC 7807 problem body as X v2 writes it."""
    return {"title": title, "detail": detail, "type": kind, "status": status, **extra}


def invalid_request(parameter: str, value: str, message: str) -> Response:
    """A 400 naming the refused parameter, as X v2 answers a bad query string."""
    return json_response(
        {"errors": [{"parameters": {parameter: [value]}, "message": message}],
         "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
         "type": PROBLEMS + "invalid-request"},
        status=400,
    )


def check_params(params: dict[str, str], min_results: int, token_param: str) -> Response | None:
    """A 400 for a list request X would refuse (page size, ids, token, unknown fields), else None."""
    size = params.get("max_results", "10")
    if not size.isdigit() or not min_results <= int(size) <= 100:
        return invalid_request("max_results", size, f"The `max_results` query parameter value [{size}] is not "
                               f"between {min_results} and 100")
    for name in ("since_id", "until_id"):
        value = params.get(name)
        if value is not None and not value.isdigit():
            return invalid_request(name, value, f"The `{name}` query parameter value [{value}] is not a valid id")
    token = params.get(token_param)
    if token is not None and not re.fullmatch(r"[0-9a-z]{1,20}", token):
        return invalid_request(token_param, token, f"The `{token_param}` query parameter value [{token}] is not valid")
    for name, allowed in (("tweet.fields", TWEET_FIELDS), ("user.fields", USER_FIELDS), ("expansions", EXPANSIONS)):
        for value in filter(None, params.get(name, "").split(",")):
            if value not in allowed:
                return invalid_request(name, value, f"The `{name}` query parameter value [{value}] is not one of "
                                       f"[{','.join(sorted(allowed))}]")
    return None


def page_token(oldest_id: str) -> str:
    """An opaque-looking page token: the base-36 id of the last tweet served."""
    number, digits = int(oldest_id), []
    while number:
        number, rest = divmod(number, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[rest])
    return "".join(reversed(digits)) or "0"


def iso(moment: datetime) -> str:
    """X's timestamp format: UTC with milliseconds and a Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def snowflake_time(tweet_id: int) -> datetime:
    return datetime.fromtimestamp(((tweet_id >> 22) + X_EPOCH_MS) / 1000, UTC)


def weighted_length(text: str) -> int:
    """X's weighted count: most Latin, Thai and punctuation count 1, other characters 2, links 23."""
    links = re.findall(r"https?://\S+", text)
    rest = re.sub(r"https?://\S+", "", text)
    light = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
    weight = sum(1 if any(lo <= ord(ch) <= hi for lo, hi in light) else 2 for ch in rest)
    return weight + 23 * len(links)
