"""Citations of an answer: URL extraction, cleaning and primary/secondary typing.

Cleaning is the one of domain §4, which the golden set is labelled with (the legacy Go
`ExtractCitations`): keep http(s) only; the host without one leading `www.` and without its
port (the host is not lower-cased); `utm_*` parameters removed and the remaining query
re-encoded with its keys sorted (Go's `url.Values.Encode`); the fragment kept; every trailing
`/` of the whole URL stripped; duplicates removed; image paths dropped. The registrable domain
comes from the Public Suffix List bundled with `publicsuffixlist`, so nothing is downloaded at
run time.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

from publicsuffixlist import PublicSuffixList

from handlers.evaluation.models import Citation, CitationType
from handlers.evaluation.text import url_spans

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp")
_SCHEMES = frozenset({"http", "https"})
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@lru_cache(maxsize=1)
def _suffix_list() -> PublicSuffixList:
    # Parsing the bundled list takes ~50 ms: do it once per process.
    return PublicSuffixList()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def extract_urls(text: str) -> list[str]:
    """Every http(s) URL in `text` in order of appearance (raw, not cleaned or deduplicated)."""
    return [url for _, _, url in url_spans(text)]


def _hostname(netloc: str) -> str | None:
    """Go's `URL.Hostname()`: the host without user info, port or IPv6 brackets, case kept."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else None
    name, colon, port = host.rpartition(":")
    if colon and (port.isdigit() or not port):
        host = name
    return host or None


def _unescape(value: str) -> str | None:
    # Go's QueryUnescape refuses a malformed escape; ParseQuery then drops the whole pair.
    if _BAD_ESCAPE.search(value):
        return None
    return unquote_plus(value, encoding="utf-8", errors="surrogateescape")


def _escape(value: str) -> str:
    return quote_plus(value, safe="", encoding="utf-8", errors="surrogateescape")


def clean_query(query: str) -> str:
    """`utm_*` parameters removed, the rest re-encoded with keys sorted (`url.Values.Encode`)."""
    values: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair or ";" in pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key, value = _unescape(raw_key), _unescape(raw_value)
        if key is None or value is None or key.lower().startswith("utm_"):
            continue
        values.setdefault(key, []).append(value)
    return "&".join(
        f"{_escape(key)}={_escape(value)}" for key in sorted(values) for value in values[key]
    )


def _ascii(part: str) -> str:
    # Go re-escapes what is not valid in a URL path or fragment; in matched URLs that is only
    # non-ASCII text, which it percent-encodes as UTF-8.
    return "".join(ch if ord(ch) < 128 else quote(ch, safe="") for ch in part)


def clean_url(url: str) -> str | None:
    """The cleaned form of a cited URL (domain §4), or None when it is not a usable http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        return None
    host = _hostname(parts.netloc)
    if host is None:
        return None
    host = host.removeprefix("www.")
    cleaned = f"{scheme}://{host}{_ascii(parts.path)}"
    query = clean_query(parts.query)
    if query:
        cleaned += f"?{query}"
    if parts.fragment:
        cleaned += f"#{_ascii(parts.fragment)}"
    return cleaned.rstrip("/")


def is_image(url: str) -> bool:
    """True when the URL's path names an image file (images are not citations)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return unquote_plus(path.replace("+", "%2B")).lower().endswith(IMAGE_EXTENSIONS)


def registrable_domain(host_or_url: str) -> str | None:
    """eTLD+1 of a host or URL (scheme optional); the bare host for IPs and unknown suffixes."""
    value = host_or_url.strip()
    if not value:
        return None
    if "://" not in value:
        value = f"http://{value}"
    try:
        host = urlsplit(value).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    if _is_ip(host):
        return host
    domain = _suffix_list().privatesuffix(host)
    return domain if isinstance(domain, str) else host


def org_domains(websites: list[str]) -> set[str]:
    """Registrable domains of the org's websites, for primary-citation typing."""
    return {d for d in (registrable_domain(w) for w in websites) if d}


def dropped_urls(text: str) -> list[str]:
    """URLs of `text` that are not citations: unusable or images (evidence for operators)."""
    return [raw for raw in extract_urls(text) if clean_url(raw) is None or is_image(raw)]


def extract_citations(text: str, websites: list[str]) -> list[Citation]:
    """Cleaned, deduplicated, non-image citations of `text`, typed against the org websites."""
    own = org_domains(websites)
    seen: set[str] = set()
    citations: list[Citation] = []
    for raw in extract_urls(text):
        url = clean_url(raw)
        # The image test reads the path before trailing slashes are stripped, as Go does.
        if url is None or url in seen or is_image(raw):
            continue
        seen.add(url)
        domain = registrable_domain(url) or ""
        kind: CitationType = "primary" if domain in own else "secondary"
        citations.append(Citation(url=url, domain=domain, type=kind))
    return citations
