"""Citation extraction and cleaning (weakness 11 fixed), typing, and idempotence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.evaluation import clean_url, extract_citations, registrable_domain
from handlers.evaluation.citations import extract_urls


def test_the_port_is_dropped() -> None:
    assert clean_url("https://example.com:8443/a") == "https://example.com/a"
    assert clean_url("http://www.ncua.gov:8080/data/") == "http://ncua.gov/data"


def test_scheme_is_lower_cased_host_and_path_are_not() -> None:
    assert clean_url("HTTPS://www.Example.COM/Path/To") == "https://Example.COM/Path/To"


def test_one_leading_www_is_dropped() -> None:
    assert clean_url("https://www.example.com/x") == "https://example.com/x"
    assert clean_url("https://www.www.example.com/x") == "https://www.example.com/x"
    assert clean_url("https://WWW.example.com/x") == "https://WWW.example.com/x"


def test_query_keys_are_sorted_and_re_encoded() -> None:
    assert clean_url("https://example.com/s?z=1&a=2&m=3") == "https://example.com/s?a=2&m=3&z=1"
    url = "https://yelp.com/search?find_loc=North+Beach%2C+SF&cflt=pizza&q=a,b/c"
    assert (
        clean_url(url)
        == "https://yelp.com/search?cflt=pizza&find_loc=North+Beach%2C+SF&q=a%2Cb%2Fc"
    )
    assert clean_url("https://example.com/s?ref") == "https://example.com/s?ref="
    # Malformed pairs are dropped, as Go's ParseQuery drops them.
    assert clean_url("https://example.com/s?a=%zz&b=1;c=2&d=4") == "https://example.com/s?d=4"


def test_only_utm_parameters_are_dropped() -> None:
    url = "https://example.com/s?b=2&UTM_Source=x&a=1&utmost=3&utm_medium=y"
    assert clean_url(url) == "https://example.com/s?a=1&b=2&utmost=3"
    assert clean_url("https://example.com/?utm_source=openai") == "https://example.com"


def test_fragment_is_kept() -> None:
    assert (
        clean_url("https://example.com/a?utm_id=1#section-2") == "https://example.com/a#section-2"
    )
    assert (
        clean_url("https://cnn.com/x/index.html#:~:text=gap")
        == "https://cnn.com/x/index.html#:~:text=gap"
    )


def test_every_trailing_slash_is_stripped() -> None:
    assert clean_url("https://example.com/a/b/") == "https://example.com/a/b"
    assert clean_url("https://example.com/a//") == "https://example.com/a"
    assert clean_url("https://example.com/") == "https://example.com"
    assert clean_url("https://example.com") == "https://example.com"
    # Only the end of the whole URL: a slash before the query stays.
    assert clean_url("https://example.com/a/?b=1") == "https://example.com/a/?b=1"


def test_non_ascii_path_is_percent_encoded() -> None:
    assert clean_url("https://example.com/café") == "https://example.com/caf%C3%A9"


def test_non_http_schemes_are_not_citations() -> None:
    assert clean_url("ftp://example.com/file") is None
    assert clean_url("mailto:someone@example.com") is None


def test_extraction_strips_trailing_punctuation_and_markdown() -> None:
    answer = (
        "See [docs](https://example.com/docs), <https://example.org/a>, "
        "https://example.net/b. Also (https://example.io/c); and "
        "https://en.wikipedia.org/wiki/Bank_(disambiguation)."
    )
    assert extract_urls(answer) == [
        "https://example.com/docs",
        "https://example.org/a",
        "https://example.net/b",
        "https://example.io/c",
        "https://en.wikipedia.org/wiki/Bank_(disambiguation)",
    ]


def test_images_are_dropped() -> None:
    answer = " ".join(
        f"https://example.com/pic{ext}"
        for ext in (".png", ".JPG", ".jpeg", ".gif", ".bmp", ".svg", ".webp")
    )
    assert extract_citations(answer + " https://example.com/page.html", []) == [
        c for c in extract_citations("https://example.com/page.html", [])
    ]


def test_duplicates_are_removed_after_cleaning() -> None:
    answer = "https://www.example.com/a/ and https://example.com/a?utm_source=x and HTTPS://EXAMPLE.com/a"
    # The host is not lower-cased (§4), so a differently cased host is another citation.
    assert [c.url for c in extract_citations(answer, [])] == [
        "https://example.com/a",
        "https://EXAMPLE.com/a",
    ]


def test_primary_includes_subdomains_of_the_org_website() -> None:
    answer = "https://blog.acme.com/post https://acme.com/ https://acme.community/x"
    citations = extract_citations(answer, ["https://www.acme.com"])
    assert [(c.url, c.type) for c in citations] == [
        ("https://blog.acme.com/post", "primary"),
        ("https://acme.com", "primary"),
        ("https://acme.community/x", "secondary"),
    ]


def test_multi_part_public_suffixes() -> None:
    answer = "https://shop.acme.co.uk/a https://other.co.uk/b"
    citations = extract_citations(answer, ["acme.co.uk"])
    assert [(c.domain, c.type) for c in citations] == [
        ("acme.co.uk", "primary"),
        ("other.co.uk", "secondary"),
    ]


def test_website_without_scheme_and_registrable_domain() -> None:
    assert registrable_domain("www.Acme.co.uk") == "acme.co.uk"
    assert registrable_domain("https://a.b.example.com/x") == "example.com"
    assert registrable_domain("http://127.0.0.1:8000/") == "127.0.0.1"


def test_no_websites_means_every_citation_is_secondary() -> None:
    citations = extract_citations("https://acme.com/x", [])
    assert [c.type for c in citations] == ["secondary"]


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_segment = st.text(alphabet="abcdefghijkLMNOP0123456789-._~%", max_size=6)
_param = st.tuples(
    st.sampled_from(["a", "b", "utm_source", "UTM_medium", "ref", "q", ""]),
    st.text(alphabet="abcXYZ019%+.", max_size=4),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    # One leading "www." is dropped (§4), so "www.www." is not idempotent by design.
    www = draw(st.sampled_from(["", "www.", "WWW."]))
    host = ".".join(draw(st.lists(_label, min_size=1, max_size=3))) + draw(
        st.sampled_from([".com", ".co.uk", ".ORG", ""])
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0"]))
    path = "".join("/" + s for s in draw(st.lists(_segment, max_size=4)))
    path += draw(st.sampled_from(["", "/", "//"]))
    params = draw(st.lists(_param, max_size=4))
    query = "&".join(f"{k}={v}" if k else v for k, v in params)
    fragment = draw(st.sampled_from(["", "#", "#top", "#a/b?c"]))
    return f"{scheme}://{www}{host}{port}{path}{'?' + query if params else ''}{fragment}"


@given(urls())
def test_cleaning_is_idempotent(url: str) -> None:
    cleaned = clean_url(url)
    if cleaned is not None:
        assert clean_url(cleaned) == cleaned


@given(st.text(max_size=40))
def test_cleaning_arbitrary_text_after_a_scheme_is_idempotent(tail: str) -> None:
    cleaned = clean_url("https://" + tail)
    if cleaned is not None:
        assert clean_url(cleaned) == cleaned


def test_url_ends_where_xurls_ends_it() -> None:
    # xurls (the legacy matcher) ends a URL on a letter, digit or -_~%$&+=/#, never on . , ; :
    text = "See https://example.com/a_b~, then **https://example.com/c**. Or (https://x.org/d)."
    assert extract_urls(text) == [
        "https://example.com/a_b~",
        "https://example.com/c",
        "https://x.org/d",
    ]
