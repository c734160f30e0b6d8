"""The BrightData scrapers of ChatGPT, Perplexity and Gemini as answer providers.

Each chunk of up to `max_batch` cells (at most 20) becomes one snapshot. Records are matched
back to cells by their 1-based `index` (top level, or `input.index` on error records), checked
against the record's prompt when it carries one; a record without a usable index is matched by
exact equality of the localised prompt. Array order is never trusted. A cell that no record
matches becomes a transient `ProviderFailure` on its own, instead of failing the whole chunk
as before (weakness 9). Error or empty records become the placeholder answer the evaluation
recognises (`placeholder=True`, no cost: BrightData does not bill failed records).

Country codes are validated before anything is sent: an unknown code is an
`InvalidInputError`, never a silent "US" (weakness 11).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from handlers.providers.base import (
    PLACEHOLDER_TEXT,
    CellPrompt,
    ProviderAnswer,
    ProviderFailure,
    localised_question,
)
from handlers.providers.brightdata_client import BrightDataClient, Record
from handlers.providers.config import BRIGHTDATA_MAX_CHUNK
from handlers.providers.countries import normalise_country_code
from handlers.providers.pricing import BRIGHTDATA_COST_PER_RECORD_USD

DatasetKind = Literal["chatgpt", "perplexity", "gemini"]

_CITATION_MARKER = re.compile(r"\\?\[(\d{1,3})\\?\](?!\()")


@dataclass(frozen=True)
class Dataset:
    """How one scraper wants its trigger body."""

    kind: DatasetKind
    site_url: str

    def input_record(self, prompt: str, country: str, index: int) -> dict[str, object]:
        record: dict[str, object] = {
            "url": self.site_url,
            "prompt": prompt,
            "country": country,
        }
        if self.kind == "chatgpt":
            record.update(web_search=True, index=index, additional_prompt="")
        elif self.kind == "perplexity":
            record.update(index=index, export_markdown_file="")
        else:
            record["index"] = index
        return record

    def trigger_body(self, inputs: list[dict[str, object]]) -> object:
        # ChatGPT's scraper takes an object with an "input" list; the others a bare list.
        return {"input": inputs} if self.kind == "chatgpt" else inputs


DATASETS: dict[DatasetKind, Dataset] = {
    "chatgpt": Dataset("chatgpt", "https://chatgpt.com/"),
    "perplexity": Dataset("perplexity", "https://www.perplexity.ai"),
    "gemini": Dataset("gemini", "https://gemini.google.com/"),
}


def _record_field(record: Record, name: str) -> object:
    value = record.get(name)
    if value is None and isinstance(record.get("input"), dict):
        value = record["input"].get(name)
    return value


def _record_index(record: Record) -> int | None:
    value = _record_field(record, "index")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _is_error(record: Record) -> bool:
    answer = record.get("answer_text_markdown")
    return bool(record.get("error")) or not (isinstance(answer, str) and answer.strip())


def match_records(prompts: list[str], records: list[Record]) -> list[Record | None]:
    """The record of each prompt (by index, else by exact prompt), or None when none matched.

    When two records claim the same prompt the first good one wins over an error record.
    """
    matched: list[Record | None] = [None] * len(prompts)
    for record in records:
        slot = _slot_for(record, prompts, matched)
        if slot is None:
            continue
        current = matched[slot]
        if current is None or (_is_error(current) and not _is_error(record)):
            matched[slot] = record
    return matched


def _slot_for(record: Record, prompts: list[str], matched: list[Record | None]) -> int | None:
    index = _record_index(record)
    text = _record_field(record, "prompt")
    text = text if isinstance(text, str) else None
    # An index is trusted unless the record's own prompt contradicts it (a shifted or 0-based
    # index would otherwise put answers on the wrong questions).
    index_fits = index is not None and 1 <= index <= len(prompts)
    if index is not None and index_fits and (text is None or text == prompts[index - 1]):
        return index - 1
    if text is None:
        return None
    same_prompt = [slot for slot, prompt in enumerate(prompts) if prompt == text]
    free = [slot for slot in same_prompt if matched[slot] is None]
    candidates = free or same_prompt
    return candidates[0] if candidates else None


def link_citations(text: str, links: object) -> str:
    """Turn ChatGPT's `[n]` / `\\[n\\]` markers into markdown links from `links_attached`."""
    urls: dict[int, str] = {}
    if isinstance(links, list):
        for link in links:
            if not isinstance(link, dict):
                continue
            position, url = link.get("position"), link.get("url")
            if isinstance(position, int) and isinstance(url, str) and url:
                urls.setdefault(position, url)

    def replace(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        return f"[{match.group(1)}]({url})" if url else match.group(0)

    return _CITATION_MARKER.sub(replace, text) if urls else text


class BrightDataProvider:
    """One scraper dataset (ChatGPT, Perplexity or Gemini) as a batching provider."""

    def __init__(
        self,
        *,
        name: str,
        dataset: Dataset,
        dataset_id: str,
        client: BrightDataClient,
        chunk_size: int,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not 1 <= chunk_size <= BRIGHTDATA_MAX_CHUNK:
            raise ValueError(f"chunk_size must be between 1 and {BRIGHTDATA_MAX_CHUNK}")
        self.name = name
        self.max_batch = chunk_size
        self._dataset = dataset
        self._dataset_id = dataset_id
        self._client = client
        self._timer = timer

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        # Validate every location before paying for any snapshot.
        countries = [normalise_country_code(prompt.country_code) for prompt in prompts]
        texts = [localised_question(prompt) for prompt in prompts]
        results: list[ProviderAnswer | ProviderFailure] = []
        for start in range(0, len(prompts), self.max_batch):
            chunk = slice(start, start + self.max_batch)
            results += self._answer_chunk(prompts[chunk], texts[chunk], countries[chunk])
        return results

    def _answer_chunk(
        self, prompts: list[CellPrompt], texts: list[str], countries: list[str]
    ) -> list[ProviderAnswer | ProviderFailure]:
        inputs = [
            self._dataset.input_record(text, country, index)
            for index, (text, country) in enumerate(zip(texts, countries, strict=True), 1)
        ]
        started = self._timer()
        records = self._client.collect(self._dataset_id, self._dataset.trigger_body(inputs))
        latency_ms = (self._timer() - started) * 1000
        results: list[ProviderAnswer | ProviderFailure] = []
        for prompt, record in zip(prompts, match_records(texts, records), strict=True):
            if record is None:
                results.append(
                    ProviderFailure(
                        cell_key=prompt.cell_key,
                        reason=f"{self.name} snapshot had no record for this cell",
                        transient=True,
                    )
                )
            else:
                results.append(self._convert(prompt, record, latency_ms))
        return results

    def _convert(self, prompt: CellPrompt, record: Record, latency_ms: float) -> ProviderAnswer:
        reported: Any = record.get("model")
        model = reported if isinstance(reported, str) and reported.strip() else prompt.model
        placeholder = _is_error(record)
        text = PLACEHOLDER_TEXT if placeholder else str(record["answer_text_markdown"])
        if not placeholder and self._dataset.kind == "chatgpt":
            text = link_citations(text, record.get("links_attached"))
        return ProviderAnswer(
            cell_key=prompt.cell_key,
            text=text,
            provider=self.name,
            model=model,
            input_tokens=None,
            output_tokens=None,
            cost_usd=0.0 if placeholder else BRIGHTDATA_COST_PER_RECORD_USD,
            simulated=False,
            latency_ms=latency_ms,
            placeholder=placeholder,
        )
