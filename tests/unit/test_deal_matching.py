"""Same customer or not: the matching rules of deal registration on a table of pairs (English, 简体, 繁體, mixed
scripts, domains, credit codes, near misses), plus the pieces: name normalisation, registrable domains, the
credit code's check character. Pure functions: no database."""

from __future__ import annotations

import random

import pytest

from portal.deals import matching
from portal.deals.matching import compare, keys_of

VALID_CODE = "91350100M000100Y43"  # a published example of a unified social credit code


def code(first17: str) -> str:
    return first17 + matching.credit_code_check_char(first17)


OTHER_CODE = code("91110108MA01ABCDE")

# (a, b, same customer?, why) — a and b are (name, website or e-mail, company ID)
PAIRS = [
    # English names: case, punctuation, spaces, legal suffixes, a leading "The"
    (("Acme Robotics", "", ""), ("ACME ROBOTICS", "", ""), True, "name"),
    (("Acme Robotics, Inc.", "", ""), ("Acme Robotics Inc", "", ""), True, "name"),
    (("The Acme Robotics Company", "", ""), ("Acme Robotics", "", ""), True, "name"),
    (("Acme Robotics Ltd.", "", ""), ("Acme Robotics Limited", "", ""), True, "name"),
    (("Acme Robotics LLC", "", ""), ("Acme-Robotics", "", ""), True, "name"),
    (("Acme Robotics Corp.", "", ""), ("Acme Robotics Corporation", "", ""), True, "name"),
    (("Acme Robotics Pty Ltd", "", ""), ("Acme Robotics", "", ""), True, "name"),
    (("Smith & Co.", "", ""), ("Smith and Company", "", ""), True, "name"),
    (("Acme Robotics Co., Ltd.", "", ""), ("Acme Robotics", "", ""), True, "name"),
    # German and French legal forms, accents
    (("Müller Maschinenbau GmbH", "", ""), ("Müller Maschinenbau AG", "", ""), True, "name"),
    (("Müller Maschinenbau GmbH & Co. KG", "", ""), ("MÜLLER MASCHINENBAU", "", ""), True, "name"),
    (("Société Générale S.A.", "", ""), ("Societe Generale SA", "", ""), True, "name"),
    (("Durand Logistique SARL", "", ""), ("Durand Logistique S.A.R.L.", "", ""), True, "name"),
    # full-width / half-width
    (("ＡＣＭＥ　Ｒｏｂｏｔｉｃｓ", "", ""), ("Acme Robotics", "", ""), True, "name"),
    # Chinese: suffixes, Traditional vs Simplified, full-width brackets
    (("北京字节跳动科技有限公司", "", ""), ("北京字节跳动科技", "", ""), True, "name"),
    (("華為技術有限公司", "", ""), ("华为技术有限公司", "", ""), True, "name"),
    (("臺灣積體電路製造股份有限公司", "", ""), ("台湾积体电路制造", "", ""), True, "name"),
    (("上海汽车集团股份有限公司", "", ""), ("上海汽車集團", "", ""), True, "name"),
    (("深圳市腾讯计算机系统有限责任公司", "", ""), ("深圳市騰訊計算機系統有限責任公司", "", ""), True, "name"),
    (("阿里巴巴（中国）有限公司", "", ""), ("阿里巴巴(中国)", "", ""), True, "name"),
    # mixed scripts
    (("ACME 中国 有限公司", "", ""), ("Acme中國", "", ""), True, "name"),
    (("Acme (China) Co., Ltd.", "", ""), ("ACME China", "", ""), True, "name"),
    # near-identical names (fuzzy, after normalisation)
    (("Acme Robotics", "", ""), ("Acme Robotic", "", ""), True, "similar_name"),
    (("Huawei Technologies Co., Ltd.", "", ""), ("Huawei Technology", "", ""), True, "similar_name"),
    (("Microsoft Corporation", "", ""), ("Mircosoft", "", ""), True, "similar_name"),
    (("Globex International", "", ""), ("Globex Internationl Ltd", "", ""), True, "similar_name"),
    # near-identical with a typo near both ends: neither the first nor the last characters are shared
    (("Acme Robotics Industrial", "", ""), ("Acne Robotics Industrail", "", ""), True, "similar_name"),
    (("Initech Software Solutions", "", ""), ("Intech Software Solution", "", ""), True, "similar_name"),
    (("Contoso Pharmaceuticals", "", ""), ("Kontoso Pharmaceutical", "", ""), True, "similar_name"),
    (("中国科学院上海生命科学研究院营养科学研究所", "", ""),
     ("钟国科学院上海生命科学研究院营养科学研究索", "", ""), True, "similar_name"),
    (("广州市番禺区大石街道人力资源服务中心", "", ""), ("光州市番禺区大石街道人力资源服务重心", "", ""), True,
     "similar_name"),  # 88: at the threshold
    (("深圳市騰訊計算機系統有限公司", "", ""), ("圳市腾讯计算机系统网", "", ""), True, "similar_name"),
    # domains: scheme, www., sub-domains, path, case, e-mail addresses
    (("Acme", "https://www.acme.com/contact", ""), ("Totally Other Name", "ACME.COM", ""), True, "domain"),
    (("Acme", "sales@acme.com", ""), ("Acme Holdings", "http://shop.acme.com/x?y=1", ""), True, "domain"),
    (("Acme UK", "www.acme.co.uk", ""), ("Acme Britain", "mail.acme.co.uk", ""), True, "domain"),
    (("字节跳动", "https://www.bytedance.com", ""), ("ByteDance Ltd", "hr@bytedance.com", ""), True, "domain"),
    # company IDs (unified social credit code), whatever the names
    (("华为", "", VALID_CODE), ("Huawei Device", "", VALID_CODE.lower()), True, "company_id"),
    (("Some Name", "", "9135-0100-M000-100Y43"), ("Another Name", "", VALID_CODE), True, "company_id"),
    # different customers: near misses and look-alikes
    (("Acme Robotics", "", ""), ("Acme Foods", "", ""), False, ""),
    (("Acme Robotics", "acme-robotics.com", ""), ("Acme Foods", "acmefoods.com", ""), False, ""),
    (("Globex Systems", "", ""), ("Globex Solutions", "", ""), False, ""),
    (("Initech", "", ""), ("Initrode", "", ""), False, ""),
    (("北京字节跳动科技", "", ""), ("北京百度网讯科技", "", ""), False, ""),
    (("华为技术有限公司", "", ""), ("华润万家有限公司", "", ""), False, ""),
    (("Acme Robotics", "", VALID_CODE), ("Acme Foods", "", OTHER_CODE), False, ""),
    # sharing the middle, or a typo at both ends, is not enough: the score decides
    (("Acne Robotics Industrail", "", ""), ("Acme Foods Industrial", "", ""), False, ""),
    (("Fabrikam Manufacturing Services", "", ""), ("Fabrikam Logistics Services", "", ""), False, ""),
    (("深圳市腾讯计算机系统有限公司", "", ""), ("深证市腾讯计算机系通有限公司", "", ""), False, ""),  # 80
    (("北京市海淀区中关村科技园区管理委员会", "", ""), ("北京市朝阳区望京科技园区管理委员会", "", ""), False, ""),
    # free-mail and public mail domains never make two customers the same
    (("Zhang Trading", "zhang@qq.com", ""), ("Li Electronics", "li@qq.com", ""), False, ""),
    (("Acme Robotics", "bob@gmail.com", ""), ("Initech", "alice@gmail.com", ""), False, ""),
    (("Wang Studio", "wang@163.com", ""), ("Chen Design", "chen@163.com", ""), False, ""),
    (("Alpha GmbH", "alpha@yahoo.de", ""), ("Beta GmbH", "beta@yahoo.co.jp", ""), False, ""),
    (("Alpha Ltd", "a@outlook.com", ""), ("Omega Ltd", "o@hotmail.co.uk", ""), False, ""),
    # a shared public suffix is no shared domain
    (("Acme UK", "acme.co.uk", ""), ("Bolt UK", "bolt.co.uk", ""), False, ""),
    (("Acme Pages", "acme.github.io", ""), ("Bolt Pages", "bolt.github.io", ""), False, ""),
]


@pytest.mark.parametrize(("a", "b", "same", "why"), PAIRS, ids=[f"{a[0]}|{b[0]}" for a, b, _s, _w in PAIRS])
def test_two_registrations_are_the_same_customer_exactly_when_a_rule_holds(a, b, same, why):
    found = compare(keys_of(*a), keys_of(*b))
    assert (found is not None) == same
    if same:
        assert found.reason == why
    assert (compare(keys_of(*b), keys_of(*a)) is not None) == same  # symmetric


def test_the_table_has_at_least_forty_pairs_of_each_kind():
    assert len(PAIRS) >= 40
    assert sum(1 for *_x, same, _w in PAIRS if same) >= 20
    assert sum(1 for *_x, same, _w in PAIRS if not same) >= 12


@pytest.mark.parametrize(("raw", "key"), [
    ("The ACME Robotics, Inc.", "acmerobotics"),
    ("北京字節跳動科技有限公司", "北京字节跳动科技"),
    ("ＡＣＭＥ Ｌｔｄ", "acme"),
    ("Limited", "limited"),  # a name that is only a legal form is kept
    ("The Company", "company"),
])
def test_names_are_normalised_before_they_are_compared(raw, key):
    assert matching.normalise_name(raw) == key


@pytest.mark.parametrize(("raw", "domain"), [
    ("https://www.Acme.com/path?q=1", "acme.com"),
    ("sales@acme.com", "acme.com"),
    ("shop.acme.com.cn:8080", "acme.com.cn"),
    ("www.acme.co.uk", "acme.co.uk"),
    ("http://192.168.0.1/", ""),
    ("not a domain", ""),
])
def test_the_registrable_domain_ignores_scheme_subdomains_path_and_case(raw, domain):
    assert matching.registrable_domain(raw) == domain


def test_free_mail_domains_give_no_domain_key():
    assert matching.domain_key("x@gmail.com") is None
    assert matching.domain_key("x@yahoo.com.tw") is None
    assert matching.domain_key("x@acme.com") == "acme.com"
    assert matching.domain_key("x@acme.com", ["acme.com"]) is None  # the list is a setting


def test_the_credit_code_check_character_is_validated():
    assert matching.is_credit_code(VALID_CODE)
    assert not matching.is_credit_code(VALID_CODE[:-1] + "4")
    assert not matching.is_credit_code("91350100M000100Y4")  # 17 characters
    assert not matching.is_credit_code("91350100I000100Y43")  # I is not in the code's alphabet
    assert matching.company_id_problem(VALID_CODE[:-1] + "4") == "credit_code"
    assert matching.company_id_problem("HRB 12345".replace(" ", "")) is None  # another company ID
    assert matching.company_id_problem("") is None


def test_fuzzy_candidates_share_the_first_or_last_characters_of_the_name():
    a, b = matching.normalise_name("Acme Robotics"), matching.normalise_name("Akme Robotics")
    assert matching.name_tail(a) == matching.name_tail(b) and matching.name_head(a) != matching.name_head(b)


BOTH_ENDS = [(a[0], b[0]) for a, b, same, why in PAIRS if why == "similar_name"
             and matching.name_head(keys_of(*a).name_key) != matching.name_head(keys_of(*b).name_key)
             and matching.name_tail(keys_of(*a).name_key) != matching.name_tail(keys_of(*b).name_key)]


@pytest.mark.parametrize(("a", "b"), BOTH_ENDS)
def test_a_near_identical_name_with_typos_near_both_ends_is_a_candidate_by_its_middle(a, b):
    for query, stored in ((a, b), (b, a)):
        query, stored = matching.normalise_name(query), matching.normalise_name(stored)
        shortest, longest = matching.mid_probes(query, matching.DEFAULT_THRESHOLD)[matching.name_mid(stored)]
        assert shortest <= len(stored) <= longest


def test_the_table_has_pairs_with_typos_near_both_ends_in_english_and_chinese():
    assert sum(1 for a, _b in BOTH_ENDS if a.isascii()) >= 3 and sum(1 for a, _b in BOTH_ENDS if not a.isascii()) >= 3


def test_the_middle_is_probed_at_every_shift_the_threshold_allows():
    """Lossless: whatever edits a name carries outside the other's middle four characters, when they stay within
    the threshold's budget that middle is one of the probed grams, and the other's length is within its band."""
    rng = random.Random(12)
    checked = 0
    for _ in range(3000):
        threshold = rng.choice([50, 75, 88, 88, 95])
        stored = "".join(rng.choice("abcdef") for _ in range(rng.randrange(4, 40)))
        start = matching.mid_start(len(stored))
        query, cost = list(stored), 0  # insertions, deletions and wrong characters anywhere but in the middle
        for p in sorted(rng.sample(range(len(stored) + 1), rng.randrange(0, 6)), reverse=True):
            edit = rng.choice("idw")
            if edit == "i" and not start < p < start + 4:
                query.insert(p, rng.choice("xyz"))
                cost += 1
            elif edit != "i" and p < len(stored) and not start <= p < start + 4:
                query[p:p + 1] = [] if edit == "d" else [rng.choice("xyz")]
                cost += 1 if edit == "d" else 2
        query = "".join(query)
        if len(query) < 4 or 100 * cost > (100 - threshold) * (len(query) + len(stored)):
            continue  # beyond the budget: not near-identical by these edits
        checked += 1
        band = matching.mid_probes(query, threshold).get(matching.name_mid(stored))
        assert band is not None and band[0] <= len(stored) <= band[1], (threshold, query, stored)
    assert checked > 1500


def test_the_middle_is_four_characters_around_the_centre_or_the_whole_short_name():
    assert [matching.name_mid(key) for key in ("abc", "abcd", "abcde", "abcdef", "acmeroboticsindustrial")] == [
        "abc", "abcd", "abcd", "bcde", "icsi"]
    assert matching.anchors("北京字节跳动科技") == {"name_head": "北京字节", "name_mid": "字节跳动",
                                                   "name_tail": "跳动科技"}


@pytest.mark.parametrize("threshold", [50, 75, 88, 95, 100])
def test_only_names_of_a_length_that_can_reach_the_threshold_are_fuzzy_candidates(threshold):
    for length in range(1, 60):
        shortest, longest = matching.length_band(length, threshold)
        for other in range(1, 120):  # the best score two lengths allow: the shorter name inside the longer
            reachable = matching.similarity("a" * length, "a" * other) >= threshold
            assert reachable == (shortest <= other <= longest), (length, other)
