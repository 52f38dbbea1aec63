"""The LLM-phrased summary: the model phrases, the verifier decides what stays.

The model sees only the evidence pack (facts with ids, untrusted text between
markers). Its text is then checked sentence by sentence: every citation must
resolve to an id of the answer, every number must be in the pack, and a
sentence naming a change must cite that change's suspect. Whatever fails is
dropped; if nothing is left, or the model failed, `error` says why and the
caller keeps the templated summary. So an instruction planted in a log line
can at most make the model write a sentence the verifier then removes.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from incidentbot.core.mask import mask_secrets, neutralise_mentions
from incidentbot.core.answer import Answer
from incidentbot.answer.claims import claim_problem, invented_names, vocabulary
from incidentbot.core.catalog import Catalog
from incidentbot.core.names import mentions
from incidentbot.answer.pack import evidence_pack, known_numbers, render_pack
from incidentbot.answer.verify import sentences, citations, verify_summary
from incidentbot.config import Settings
from incidentbot.llm.client import LLMError, call_llm, load_prompt

MAX_SUMMARY = 2000
_INERT_MENTION = re.compile("@\u200b" + r"\S*\s*")


@dataclass
class LLMSummaryResult:
    """The verified text, or None with the reason; `dropped` lists what the verifier removed and why.

    `invented` holds the names the model used that nothing in the answer holds (a note tells the reader).
    """

    text: str | None = None
    error: str | None = None
    dropped: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)


def _content(message: object) -> str:
    """The text of a chat answer, whether the server sent a string or content parts."""
    content = getattr(message, "content", message)
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content or "")


def _unsupported_change_names(text: str, answer: Answer) -> tuple[str, list[str]]:
    """Drop sentences that name a change without citing that change's suspect id.

    Citations and numbers can both be right while the sentence blames the
    wrong change ("deploy-1 is the culprit [C1]" when C1 is deploy-8841); this
    catches that for every change the answer knows of.
    """
    suspect_of = {s.id: s.change.id for s in answer.suspects}
    names = {c.id for c in answer.changes} | set(suspect_of.values())
    kept, dropped = [], []
    for sentence in sentences(text):
        cited = {suspect_of[c] for c in citations(sentence) if c in suspect_of}
        named = {n for n in names if mentions(sentence, n)}
        if named - cited:
            dropped.append(f"names {', '.join(sorted(named - cited))} without citing it: {sentence[:80]}")
        else:
            kept.append(sentence)
    return " ".join(kept), dropped


def known_names(answer: Answer, catalog: Catalog | None = None) -> list[str]:
    """Names our own records hold beyond the pack: every change read (not only suspects) and the catalog.

    Structured fields only (id, service, kind, source, author, environment,
    version); a change's title is untrusted text, citable only through its suspect.
    """
    out: list[str] = []
    for change in answer.changes:
        out += [v for v in (change.id, change.service, change.kind, change.source, change.author,
                            change.environment, change.version, change.recorded_service) if v]
    if catalog is not None:
        for info in catalog.services.values():
            out += [info.name, *info.depends_on, *info.aliases, *([info.owner] if info.owner else [])]
    return out


def llm_summary(answer: Answer, settings: Settings, catalog: Catalog | None = None) -> LLMSummaryResult:
    """Ask the model for a summary of the evidence pack and keep only the sentences that verify."""
    # lazy: the LLM stack (langchain, openai) costs about a second to import and only runs with a model configured
    from langchain_core.messages import HumanMessage, SystemMessage

    pack = evidence_pack(answer)
    messages = [SystemMessage(load_prompt("summary")), HumanMessage(render_pack(pack))]
    try:
        reply = call_llm(settings, lambda model: model.invoke(messages))
    except LLMError as exc:
        return LLMSummaryResult(error=exc.reason)
    raw = " ".join(_content(reply).split())[:MAX_SUMMARY]
    if not raw:
        return LLMSummaryResult(error="empty answer")
    # a summary never pages anyone: mentions are made inert, then removed, before the sentences are checked
    text = _INERT_MENTION.sub("", neutralise_mentions(mask_secrets(raw))).strip()
    total = len(sentences(text))
    text, dropped = verify_summary(text, answer.ids(), known_numbers(pack))
    text, wrong_change = _unsupported_change_names(text, answer)
    text, claims, invented = _unsupported_claims(text, pack, known_names(answer, catalog))
    dropped += wrong_change + claims
    if not text:
        return LLMSummaryResult(error="no sentence survived verification", dropped=dropped, invented=invented)
    kept = len(sentences(text))
    if kept * 2 < total:  # most of it was wrong: what is left cannot be trusted to be the gist
        return LLMSummaryResult(error=f"too little survived verification ({kept} of {total} sentences)",
                                dropped=dropped, invented=invented)
    return LLMSummaryResult(text=text, dropped=dropped, invented=invented)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return [] if value is None or isinstance(value, bool) else [str(value)]


def _unsupported_claims(text: str, pack: dict, names: list[str]) -> tuple[str, list[str], list[str]]:
    """Drop sentences that order people to act, or name, quote or spell out what the pack does not hold.

    A name counts as held when our facts (the pack's, and `names`: changes read, the catalog) hold it,
    or when the untrusted text of a pattern, line or change the sentence cites holds it: a planted log
    line cannot make its own names citable elsewhere. Returns the text, what was dropped and the
    invented names.
    """
    data = pack.get("untrusted_data") or {}
    facts = vocabulary(_strings({k: v for k, v in pack.items() if k != "untrusted_data"}) + names)
    by_id: dict[str, set[str]] = {}
    for group in ("pattern_templates", "log_lines", "change_titles"):
        for item in data.get(group) or []:
            by_id.setdefault(str(item.get("id")), set()).update(vocabulary(_strings(item)))
    quotable = _strings(data.get("pattern_templates")) + _strings(data.get("log_lines")) + _strings(
        data.get("change_titles"))
    numbers = known_numbers(pack)
    kept, dropped, invented = [], [], []
    for sentence in sentences(text):
        known = facts.union(*(by_id.get(c, set()) for c in citations(sentence)))
        problem = claim_problem(sentence, known, quotable, numbers)
        if problem:
            dropped.append(f"{problem}: {sentence[:80]}")
            invented += [n for n in invented_names(sentence, known) if n not in invented]
        else:
            kept.append(sentence)
    return " ".join(kept), dropped, invented


def summarise_timeline(timeline_json: dict, settings: Settings) -> str:
    """The timeline's narrative in the model's words (the caller verifies the T citations); raises LLMError."""
    # lazy: the LLM stack (langchain, openai) costs about a second to import and only runs with a model configured
    from langchain_core.messages import HumanMessage, SystemMessage

    facts = {"entries": [{k: e.get(k) for k in ("id", "time", "kind", "text")}
                         for e in timeline_json.get("entries", [])][:200],
             "phases": timeline_json.get("phases", {})}
    body = neutralise_mentions(mask_secrets(json.dumps(facts, ensure_ascii=False)))
    messages = [SystemMessage(load_prompt("timeline")), HumanMessage(body)]
    reply = call_llm(settings, lambda model: model.invoke(messages))
    text = " ".join(_content(reply).split())[:MAX_SUMMARY]
    return _INERT_MENTION.sub("", neutralise_mentions(mask_secrets(text))).strip()


def write_summary(answer: Answer, settings: Settings, catalog: Catalog | None = None) -> tuple[str, str, list[str]]:
    """(summary, mode, notes): the verified LLM summary, or the templated one already in `answer.summary`.

    A no-op without an API key, and never raises: a failure becomes a note the
    answer carries, as the contract asks for a partial answer. A note also
    names what the model invented, so a reader knows why its wording went.
    """
    if not settings.llm_enabled:
        return answer.summary, "deterministic", []
    result = llm_summary(answer, settings, catalog)
    invented = (f"; it named what the evidence does not hold ({', '.join(n[:40] for n in result.invented[:3])})"
                if result.invented else "")
    if result.error or not result.text:
        return answer.summary, "deterministic", [
            f"LLM summary unavailable ({result.error}): templated summary kept{invented}"]
    notes = [f"LLM summary: {len(result.dropped)} sentence(s) dropped by the verifier{invented}"] if result.dropped else []
    return result.text, "llm", notes
