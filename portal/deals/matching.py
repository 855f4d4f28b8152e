"""Is this the same customer? Normalised keys for registrations and the rules that compare them (pure).

A registration keeps three keys, each indexed, so a new one finds its possible conflicts by equality only:
- ``name_key``: the company name after ``normalise_name`` (NFKC, case, Traditional → Simplified Chinese,
  punctuation and spaces, a leading "The", legal suffixes in English, German, French and Chinese);
- ``domain_key``: the registrable domain of the website or e-mail address (``registrable_domain``), none for
  free-mail and public mail domains;
- ``company_id``: the company ID, e.g. a unified social credit code (``credit_code_problem`` checks it).
Near-identical names (a fuzzy score at or above the threshold) are compared only among candidates that share
the name's first, middle or last ``HEAD`` characters (``name_head`` / ``name_mid`` / ``name_tail``, indexed too)
and have a length that can reach the threshold (``length_band``): never a scan.

Why the middle is enough where the ends fail: ``fuzz.ratio`` is ``100·(1 − D / (la + lb))`` with ``D`` the Indel
distance (insertions and deletions; a wrong character is one of each), so a ratio ≥ T allows
``D ≤ (1 − T/100)·(la + lb)`` and no more. Align a stored name b with the query a: if b's middle four characters
(``name_mid``, from ``mid_start``) carry no edit, they stand in a at ``mid_start(la) + δ``, where δ comes from the
insertions and deletions before them and from the two middles' distance (half the length difference); both are
bounded by that D, and ``mid_probes`` lists the query's 4-grams at every δ the threshold allows for each length of
the band (computed, not a fixed window). So a near-identical name escapes only when its first, middle and last
four characters all carry an edit (in a short name one edit can reach all three: the three overlap).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz import fuzz

HEAD = 4  # characters of the normalised name that pick fuzzy candidates (at its start, middle and end)
DEFAULT_THRESHOLD = 88  # rapidfuzz ratio (0–100) at or above which two normalised names are "near-identical"

# Legal forms, written without dots or spaces (the name's punctuation and spaces are gone when they are
# compared): a run of trailing words whose letters spell one of these is dropped.
LEGAL_SUFFIXES = frozenset({
    # English
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "lp", "plc",
    "ptyltd", "pty", "pvtltd", "pvt", "holdings", "group",
    # German, Austrian, Swiss
    "gmbh", "ag", "kg", "ohg", "ug", "gmbhcokg", "se", "ev", "mbh",
    # French, Spanish, Italian, Dutch, Belgian
    "sa", "sarl", "sas", "sasu", "eurl", "sca", "snc", "srl", "spa", "sl", "bv", "nv", "cv",
    # Nordic, Japanese (romanised)
    "ab", "as", "asa", "oy", "oyj", "aps", "kk",
})
# Chinese legal forms (Simplified: Traditional is converted first), longest first.
CHINESE_SUFFIXES = ("集团股份有限公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "股份公司",
                    "集团公司", "总公司", "分公司", "集团", "控股", "公司")
LEADING_ARTICLES = frozenset({"the"})
_WORD = re.compile(r"\w+")


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def normalise_name(raw: str) -> str:
    """The company name as it is compared: ``"The ACME Robotics, Inc."`` → ``"acmerobotics"``,
    ``"北京字節跳動科技有限公司"`` → ``"北京字节跳动科技"``. Empty when nothing is left."""
    text = unicodedata.normalize("NFKC", raw or "").casefold().replace("&", " and ")
    # accents fold away ("Société" = "Societe"): decompose, drop the combining marks (CJK has none)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = _to_simplified().convert(text)
    words = _WORD.findall(text.replace("_", " "))
    if len(words) > 1 and words[0] in LEADING_ARTICLES:
        words = words[1:]
    changed = True
    while changed and words:
        changed = False
        for size in (4, 3, 2, 1):  # "s a r l", "pty ltd", "co ltd" …
            if len(words) > size and "".join(words[-size:]) in LEGAL_SUFFIXES:
                words, changed = words[:-size], True
                break
        if not changed:
            last = words[-1]
            for suffix in CHINESE_SUFFIXES:
                if last.endswith(suffix) and (len(last) > len(suffix) or len(words) > 1):
                    rest = last[: -len(suffix)]
                    words, changed = words[:-1] + ([rest] if rest else []), True
                    break
        if changed and words and words[-1] == "and":  # "Smith and Co" → "smith"
            words = words[:-1] if len(words) > 1 else words
    return "".join(words)


def name_head(key: str) -> str:
    return key[:HEAD]


def name_tail(key: str) -> str:
    return key[-HEAD:]


def mid_start(length: int) -> int:
    """Where the middle ``HEAD`` characters of a normalised name of ``length`` characters start."""
    return max(length // 2 - HEAD // 2, 0)


def name_mid(key: str) -> str:
    start = mid_start(len(key))
    return key[start:start + HEAD]


def anchors(key: str) -> dict[str, str]:
    """A registration's indexed pieces of its normalised name, by their columns' names (every writer sets all)."""
    return {"name_head": name_head(key), "name_mid": name_mid(key), "name_tail": name_tail(key)}


def length_band(length: int, threshold: int) -> tuple[int, int]:
    """The lengths a normalised name may have to score ``threshold`` or more against one of ``length``
    characters: ``fuzz.ratio`` is at most ``200·min(a, b) / (a + b)`` (the shorter one inside the longer), so
    names outside the band can never reach it and are left out of the fuzzy candidates (lossless)."""
    if threshold <= 0:
        return 0, 10**6
    threshold = min(threshold, 100)
    return -(-length * threshold // (200 - threshold)), length * (200 - threshold) // threshold


def mid_probes(key: str, threshold: int) -> dict[str, tuple[int, int]]:
    """The query name's ``HEAD``-grams that a stored ``name_mid`` is compared with, each with the shortest and
    longest candidate it can belong to. For a candidate of ``other`` characters the Indel budget is
    ``(100 − T)·(length + other) // 100``; of it, at most ``(other − length + budget) // 2`` deletions (the
    candidate's characters the query lacks) and ``(length − other + budget) // 2`` insertions can stand before the
    candidate's middle, which shifts it that far left or right of ``mid_start(other)`` in the query (lossless:
    every alignment within the budget that leaves the middle untouched puts it at one of these positions)."""
    length = len(key)
    last = max(length - HEAD, 0)
    if threshold <= 0:  # every name is near-identical: any gram, any length
        return {key[p:p + HEAD]: (0, 10**6) for p in range(last + 1)}
    threshold = min(threshold, 100)
    shortest, longest = length_band(length, threshold)
    probes: dict[str, tuple[int, int]] = {}
    for other in range(max(shortest, 1), longest + 1):
        budget = (100 - threshold) * (length + other) // 100
        start = mid_start(other)
        for p in range(max(start - (other - length + budget) // 2, 0),
                       min(start + (length - other + budget) // 2, last) + 1):
            low, high = probes.get(key[p:p + HEAD], (other, other))
            probes[key[p:p + HEAD]] = (min(low, other), max(high, other))
    return probes


# --- domains ------------------------------------------------------------------------------------------------

DEFAULT_FREE_MAIL = (
    "gmail.com", "googlemail.com", "outlook.*", "hotmail.*", "live.*", "msn.com", "yahoo.*", "ymail.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.*", "web.de", "mail.ru",
    "yandex.*", "zoho.com", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn",
    "sohu.com", "aliyun.com", "139.com", "189.cn", "21cn.com", "tom.com", "hinet.net", "naver.com",
)


@functools.cache
def _extractor():
    import tldextract

    # The suffix list bundled with the package, never a download (no cache dir, no list URLs).
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def load_tables() -> None:
    """Load the public suffix list (≈0.4 s) and the 繁→简 tables now, at a web process's start, rather than in
    the first registration or live hint that process serves."""
    registrable_domain("www.example.com")  # the extractor reads its list on its first use, not when made
    normalise_name("測試")


def host_of(raw: str) -> str:
    """The host of a website address, bare domain or e-mail address, in lower case ("" when none)."""
    text = unicodedata.normalize("NFKC", (raw or "").strip()).casefold()
    if "@" in text and "/" not in text.split("@")[-1]:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def registrable_domain(raw: str) -> str:
    """``https://www.shop.Acme.co.uk/x`` → ``acme.co.uk``; ``sales@acme.com`` → ``acme.com``; "" when the
    text has no domain under a public suffix (an IP address, ``localhost``)."""
    host = host_of(raw)
    if not host:
        return ""
    found = _extractor()(host)
    return found.top_domain_under_public_suffix if found.domain and found.suffix else ""


def is_free_mail(domain: str, free_mail: tuple[str, ...] | list[str]) -> bool:
    """``domain`` (registrable) is on the free-mail list; ``yahoo.*`` stands for yahoo under any suffix."""
    for entry in free_mail:
        entry = entry.strip().casefold()
        if not entry:
            continue
        if entry.endswith(".*"):
            if domain.split(".", 1)[0] == entry[:-2]:
                return True
        elif domain == entry:
            return True
    return False


def domain_key(raw: str, free_mail: tuple[str, ...] | list[str] = DEFAULT_FREE_MAIL) -> str | None:
    """The domain compared between registrations: the registrable domain, or None for a free-mail one."""
    domain = registrable_domain(raw)
    if not domain or is_free_mail(domain, free_mail):
        return None
    return domain


# --- company IDs: the unified social credit code (统一社会信用代码, GB 32100-2015) ------------------------------

CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_company_id(raw: str | None) -> str:
    """Capitals, without spaces, dots, dashes or slashes ("" when empty)."""
    return re.sub(r"[\s./-]", "", unicodedata.normalize("NFKC", raw or "")).upper()


def credit_code_check_char(first17: str) -> str:
    """The check character of a credit code's first 17 characters (GB 32100-2015)."""
    total = sum(CREDIT_CODE_CHARS.index(ch) * weight for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def is_credit_code(code: str) -> bool:
    """An 18-character unified social credit code with a correct check character."""
    return (len(code) == 18 and all(ch in CREDIT_CODE_CHARS for ch in code)
            and credit_code_check_char(code[:17]) == code[17])


def company_id_problem(code: str) -> str | None:
    """What is wrong with a normalised company ID ("" is fine: it is optional): an 18-character one is a
    unified social credit code and must carry its check character; any other is 4–40 letters and digits.
    Returns a short reason code: "credit_code" or "format"."""
    if not code:
        return None
    if len(code) == 18:
        return None if is_credit_code(code) else "credit_code"
    if not re.fullmatch(r"[A-Z0-9]{4,40}", code):
        return "format"
    return None


# --- comparing two registrations -----------------------------------------------------------------------------

SAME_COMPANY_ID, SAME_DOMAIN, SAME_NAME, SIMILAR_NAME = "company_id", "domain", "name", "similar_name"


@dataclass(frozen=True)
class Keys:
    name_key: str
    domain_key: str | None = None
    company_id: str | None = None


@dataclass(frozen=True)
class Match:
    reason: str  # one of SAME_COMPANY_ID, SAME_DOMAIN, SAME_NAME, SIMILAR_NAME (the strongest that holds)
    score: int  # the names' similarity, 0–100 (100 when equal)


def keys_of(name: str, website: str = "", company_id: str = "",
            free_mail: tuple[str, ...] | list[str] = DEFAULT_FREE_MAIL) -> Keys:
    return Keys(normalise_name(name), domain_key(website, free_mail) if website else None,
                normalise_company_id(company_id) or None)


def similarity(a: str, b: str) -> int:
    if not a or not b:
        return 0
    return int(fuzz.ratio(a, b))


def compare(a: Keys, b: Keys, threshold: int = DEFAULT_THRESHOLD) -> Match | None:
    """Whether two registrations are for the same customer, and why (None: different customers)."""
    score = similarity(a.name_key, b.name_key)
    if a.company_id and a.company_id == b.company_id:
        return Match(SAME_COMPANY_ID, score)
    if a.domain_key and a.domain_key == b.domain_key:
        return Match(SAME_DOMAIN, score)
    if a.name_key and a.name_key == b.name_key:
        return Match(SAME_NAME, 100)
    if score >= threshold:
        return Match(SIMILAR_NAME, score)
    return None
