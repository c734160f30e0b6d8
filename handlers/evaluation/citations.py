"""Citations of an answer: URL extraction, cleaning and primary/secondary typing.

Cleaning fixes the legacy quirks (weakness 11): the scheme and host are lower-cased, a leading
`www.` is dropped, a non-default port is kept, only `utm_*` query parameters are removed and the
others keep their order and encoding, the fragment is kept, and one trailing slash is removed.
The registrable domain comes from the Public Suffix List bundled with `publicsuffixlist`, so
nothing is downloaded at run time.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urlsplit

from publicsuffixlist import PublicSuffixList

from handlers.evaluation.models import Citation, CitationType
from handlers.evaluation.text import url_spans

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp")
_DEFAULT_PORTS = {"http": 80, "https": 443}


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


def _host(parts: SplitResult) -> str | None:
    try:
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    # Only a label that leaves a real domain behind is dropped, so `www.com` stays as it is and
    # cleaning stays idempotent for `www.www.example.com`.
    while host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    return f"[{host}]" if ":" in host else host


def _query(query: str) -> str:
    kept = [
        pair
        for pair in query.split("&")
        if pair and not unquote(pair.split("=", 1)[0]).strip().lower().startswith("utm_")
    ]
    return "&".join(kept)


def _path(path: str) -> str:
    # One slash is cosmetic; a path ending in several slashes names a different resource, and
    # trimming only one of them would make cleaning non-idempotent, so such a path is kept.
    if path.endswith("/") and not path.endswith("//"):
        return path[:-1]
    return path


def clean_url(url: str) -> str | None:
    """The canonical form of a cited URL, or None when it is not a usable http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = _host(parts)
    if host is None:
        return None
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    cleaned = f"{scheme}://{netloc}{_path(parts.path)}"
    query = _query(parts.query)
    if query:
        cleaned += f"?{query}"
    if parts.fragment:
        cleaned += f"#{parts.fragment}"
    return cleaned


def is_image(url: str) -> bool:
    """True when the URL's path names an image file (images are not citations)."""
    return urlsplit(url).path.lower().endswith(IMAGE_EXTENSIONS)


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


def extract_citations(text: str, websites: list[str]) -> list[Citation]:
    """Cleaned, deduplicated, non-image citations of `text`, typed against the org websites."""
    own = org_domains(websites)
    seen: set[str] = set()
    citations: list[Citation] = []
    for raw in extract_urls(text):
        url = clean_url(raw)
        if url is None or url in seen or is_image(url):
            continue
        seen.add(url)
        domain = registrable_domain(url) or ""
        kind: CitationType = "primary" if domain in own else "secondary"
        citations.append(Citation(url=url, domain=domain, type=kind))
    return citations
