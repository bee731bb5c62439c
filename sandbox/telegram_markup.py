"""parse_mode for the Telegram stand-in: HTML, MarkdownV2 and legacy Markdown turned into text plus entities.

The real server answers 400 "can't parse entities: …" when markup is broken, and the commonest bug in a bot
that quotes citizens is exactly that: a "<" or a "." from the public pasted into HTML or MarkdownV2 unescaped.
HTML follows TDLib's parser closely (tags, attributes, the four named entities, error wording); the Markdown
flavours keep the rules that catch such bugs (reserved characters, unclosed entities) and are otherwise simpler.
Offsets and lengths are in UTF-16 code units, as the Bot API counts them.
"""

from __future__ import annotations

from typing import Any

from sandbox.telegram_wire import BotApiError, bad_request, utf16_len

Entity = dict[str, Any]
HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
                       "span", "pre", "code", "blockquote"})
HTML_KINDS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
              "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
              "span": "spoiler", "blockquote": "blockquote"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
V2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
            "spoiler": "Spoiler", "text_link": "TextUrl"}


def parse_text(text: str, parse_mode: str) -> tuple[str, list[Entity]]:
    """The plain text and entities a message gets; raises the 400 the real server gives for broken markup."""
    mode = parse_mode.strip().lower()
    if not mode:
        return text, []
    parsers = {"html": _parse_html, "markdownv2": _parse_markdown_v2, "markdown": _parse_markdown}
    if mode not in parsers:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    plain, entities = parsers[mode](text)
    return plain, sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _cant_parse(reason: str) -> BotApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


# --- HTML ---------------------------------------------------------------------------------------------
def _html_entity(source: str, start: int) -> tuple[str, int]:
    """Decode "&…;" at `start`: (character, index after it), or ("", start) when it is not one we know."""
    end = start + 1
    if source.startswith("#", end):
        end += 1
        hexadecimal = source.startswith("x", end)
        end += hexadecimal
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < len(source) and source[end] in allowed:
            end += 1
        digits = source[digits_start:end]
        code = int(digits, 16 if hexadecimal else 10) if digits else 0
        if code == 0 or code >= 0x10FFFF or end - start >= 10 or 0xD800 <= code <= 0xDFFF:
            return "", start
        char = chr(code)
    else:
        while end < len(source) and source[end].isascii() and source[end].isalpha():
            end += 1
        char = NAMED_ENTITIES.get(source[start + 1:end], "")
        if not char:
            return "", start
    return char, end + 1 if source.startswith(";", end) else end


def _parse_html(source: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    entities: list[Entity] = []
    stack: list[tuple[str, str, int]] = []  # tag, argument, utf16 offset where it opened
    offset = index = 0
    size = len(source)
    while index < size:
        char = source[index]
        if char == "&":
            decoded, after = _html_entity(source, index)
            if decoded:
                out.append(decoded)
                offset += utf16_len(decoded)
                index = after
                continue
        if char != "<":
            out.append(char)
            offset += utf16_len(char)
            index += 1
            continue
        begin = index
        if source.startswith("/", index + 1):
            index = _html_end_tag(source, begin, stack, entities, offset)
        else:
            tag, argument, index = _html_start_tag(source, begin)
            stack.append((tag, argument, offset))
    if stack:
        raise _cant_parse(f"Can't find end tag corresponding to start tag {stack[-1][0]}")
    return "".join(out), entities


def _html_start_tag(source: str, begin: int) -> tuple[str, str, int]:
    size = len(source)
    index = begin + 1
    while index < size and not source[index].isspace() and source[index] != ">":
        index += 1
    if index >= size:
        raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    tag = source[begin + 1:index].lower()
    if tag not in HTML_TAGS:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}')
    argument = ""
    while index < size and source[index] != ">":
        while index < size and source[index].isspace():
            index += 1
        if index < size and source[index] == ">":
            break
        name_start = index
        while index < size and not source[index].isspace() and source[index] not in "=>":
            index += 1
        name = source[name_start:index]
        if not name:
            raise _cant_parse(f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(source, begin)}')
        while index < size and source[index].isspace():
            index += 1
        if index >= size or source[index] != "=":
            raise _cant_parse(f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                              f"at byte offset {_byte_offset(source, begin)}")
        index += 1
        while index < size and source[index].isspace():
            index += 1
        value, index = _html_attribute_value(source, index, begin)
        if index >= size:
            raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        argument = _html_argument(tag, name.lower(), value) or argument
    if index >= size:
        raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
    if tag == "span" and argument != "spoiler":
        raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, begin)}')
    return tag, argument, index + 1


def _html_attribute_value(source: str, index: int, begin: int) -> tuple[str, int]:
    size = len(source)
    if index < size and source[index] in "'\"":
        quote = source[index]
        index += 1
        value: list[str] = []
        while index < size and source[index] != quote:
            if source[index] == "&":
                decoded, after = _html_entity(source, index)
                if decoded:
                    value.append(decoded)
                    index = after
                    continue
            value.append(source[index])
            index += 1
        return "".join(value), index + 1 if index < size else index
    start = index
    while index < size and (source[index].isalnum() or source[index] in ".-"):
        index += 1
    if index < size and not source[index].isspace() and source[index] != ">":
        raise _cant_parse(f"Unexpected end of name token at byte offset {_byte_offset(source, start)}")
    return source[start:index].lower(), index


def _html_argument(tag: str, attribute: str, value: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    return ""


def _html_end_tag(source: str, begin: int, stack: list[tuple[str, str, int]], entities: list[Entity],
                  offset: int) -> int:
    if not stack:
        raise _cant_parse(f"Unexpected end tag at byte offset {_byte_offset(source, begin)}")
    size = len(source)
    index = begin + 2
    while index < size and not source[index].isspace() and source[index] != ">":
        index += 1
    name = source[begin + 2:index].lower()
    while index < size and source[index].isspace():
        index += 1
    if index >= size or source[index] != ">":
        raise _cant_parse(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
    tag, argument, start = stack.pop()
    if name and name != tag:
        raise _cant_parse(f'Unmatched end tag at byte offset {_byte_offset(source, begin)}, '
                          f'expected "</{tag}>", found "</{name}>"')
    if offset > start:
        entity = _html_entity_for(tag, argument, start, offset - start)
        if entity is not None:
            _merge_pre_code(entities, entity)
    return index + 1


def _html_entity_for(tag: str, argument: str, start: int, length: int) -> Entity | None:
    if tag in HTML_KINDS:
        return {"offset": start, "length": length, "type": HTML_KINDS[tag]}
    if tag == "a":
        return {"offset": start, "length": length, "type": "text_link", "url": argument} if argument else None
    if tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise bad_request("Invalid custom emoji identifier specified")
        return {"offset": start, "length": length, "type": "custom_emoji", "custom_emoji_id": argument}
    if tag == "pre":
        return {"offset": start, "length": length, "type": "pre"}
    return {"offset": start, "length": length, "type": "code", "language": argument}  # code


def _merge_pre_code(entities: list[Entity], entity: Entity) -> None:
    """<pre><code class="language-x"> is one pre entity with a language, as Telegram shows it."""
    last = entities[-1] if entities else None
    same_span = last is not None and (last["offset"], last["length"]) == (entity["offset"], entity["length"])
    if same_span and last is not None and {last["type"], entity["type"]} == {"pre", "code"}:
        language = last.get("language") or entity.get("language") or ""
        entities[-1] = {"offset": entity["offset"], "length": entity["length"], "type": "pre"}
        if language:
            entities[-1]["language"] = language
        return
    if entity["type"] == "code":
        entity.pop("language", None)
    entities.append(entity)


# --- MarkdownV2 --------------------------------------------------------------------------------------
def _parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    out: list[str] = []
    entities: list[Entity] = []
    stack: list[tuple[str, int, int]] = []  # kind, utf16 offset, source index
    offset = index = 0
    size = len(source)
    while index < size:
        char = source[index]
        if char == "\\" and index + 1 < size and 0 < ord(source[index + 1]) <= 126:
            out.append(source[index + 1])
            offset += 1
            index += 2
            continue
        if char not in V2_RESERVED:
            out.append(char)
            offset += utf16_len(char)
            index += 1
            continue
        if char == "`":
            text, entity, index = _v2_code(source, index, offset)
            out.append(text)
            offset += utf16_len(text)
            if entity["length"]:
                entities.append(entity)
            continue
        if char == "]" and stack and stack[-1][0] == "text_link":
            url, index = _v2_url(source, index)
            _, start, _ = stack.pop()
            if offset > start:
                entities.append({"offset": start, "length": offset - start, "type": "text_link", "url": url})
            continue
        kind, width = _v2_kind(source, index)
        if kind is None:
            raise _cant_parse(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        if stack and stack[-1][0] == kind and kind != "text_link":
            _, start, _ = stack.pop()
            if offset > start:
                entities.append({"offset": start, "length": offset - start, "type": kind})
        else:
            stack.append((kind, offset, index))
        index += width
    if stack:
        kind, _, at = stack[-1]
        raise _cant_parse(f"Can't find end of {V2_NAMES[kind]} entity at byte offset {_byte_offset(source, at)}")
    return "".join(out), entities


def _v2_kind(source: str, index: int) -> tuple[str | None, int]:
    if source.startswith("__", index):
        return "underline", 2
    if source.startswith("||", index):
        return "spoiler", 2
    kinds = {"*": "bold", "_": "italic", "~": "strikethrough", "[": "text_link"}
    kind = kinds.get(source[index])
    return kind, 1


def _v2_code(source: str, index: int, offset: int) -> tuple[str, Entity, int]:
    """`code` or ```pre``` (language on the opening line); inside, only ` and \\ are escaped."""
    fence = "```" if source.startswith("```", index) else "`"
    start = index + len(fence)
    language = ""
    if fence == "```":
        line_end = source.find("\n", start)
        first_line = source[start:line_end] if line_end != -1 else ""
        if line_end != -1 and first_line and all(33 <= ord(c) <= 126 for c in first_line):
            language, start = first_line, line_end + 1
    text: list[str] = []
    cursor = start
    while cursor < len(source):
        if source[cursor] == "\\" and cursor + 1 < len(source) and source[cursor + 1] in "`\\":
            text.append(source[cursor + 1])
            cursor += 2
            continue
        if source.startswith(fence, cursor):
            body = "".join(text)
            entity: Entity = {"offset": offset, "length": utf16_len(body), "type": "pre" if fence == "```" else "code"}
            if language:
                entity["language"] = language
            return body, entity, cursor + len(fence)
        text.append(source[cursor])
        cursor += 1
    name = "Pre" if fence == "```" else "Code"
    raise _cant_parse(f"Can't find end of {name} entity at byte offset {_byte_offset(source, index)}")


def _v2_url(source: str, index: int) -> tuple[str, int]:
    """After "](": the URL up to the closing parenthesis (\\ escapes ")" and "\\" inside)."""
    if not source.startswith("(", index + 1):
        raise _cant_parse("Character ']' is reserved and must be escaped with the preceding '\\'")
    url: list[str] = []
    cursor = index + 2
    while cursor < len(source) and source[cursor] != ")":
        if source[cursor] == "\\" and cursor + 1 < len(source):
            cursor += 1
        url.append(source[cursor])
        cursor += 1
    if cursor >= len(source):
        raise _cant_parse(f"Can't find end of a url at byte offset {_byte_offset(source, index + 1)}")
    return "".join(url), cursor + 1


# --- legacy Markdown ------------------------------------------------------------------------------
def _parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting, no reserved characters."""
    out: list[str] = []
    entities: list[Entity] = []
    offset = index = 0
    size = len(source)
    marks = {"*": "bold", "_": "italic", "`": "code"}
    while index < size:
        char = source[index]
        if char == "\\" and index + 1 < size and source[index + 1] in "*_`[":
            out.append(source[index + 1])
            offset += 1
            index += 2
            continue
        fence = "```" if source.startswith("```", index) else char
        if char not in marks and char != "[":
            out.append(char)
            offset += utf16_len(char)
            index += 1
            continue
        closing = "]" if char == "[" else fence
        end = source.find(closing, index + len(fence))
        if end == -1 or (char == "[" and not source.startswith("(", end + 1)):
            raise _cant_parse(f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}")
        body = source[index + len(fence):end]
        kind = "pre" if fence == "```" else ("text_link" if char == "[" else marks[char])
        entity: Entity = {"offset": offset, "length": utf16_len(body), "type": kind}
        index = end + len(closing)
        if char == "[":
            url_end = source.find(")", end + 2)
            if url_end == -1:
                raise _cant_parse(f"Can't find end of the entity starting at byte offset {_byte_offset(source, end)}")
            entity["url"] = source[end + 2:url_end]
            index = url_end + 1
        out.append(body)
        offset += utf16_len(body)
        if body:
            entities.append(entity)
    return "".join(out), entities
