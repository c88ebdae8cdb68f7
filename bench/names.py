"""Seeded, realistic Korean and English company names for benchmark data."""

import random

from bot.text import normalize_key

KO_PREFIX = [
    "한빛",
    "대한",
    "미래",
    "성진",
    "동아",
    "새봄",
    "푸른",
    "한결",
    "신세계",
    "우리",
    "하나",
    "삼정",
    "태평양",
    "금강",
    "백두",
    "한라",
    "가람",
    "누리",
    "다온",
    "라온",
    "세움",
    "아름",
    "온누리",
    "은하",
    "제일",
    "청운",
    "한솔",
    "해든",
    "코리아",
    "글로벌",
    "스마트",
    "디지털",
    "그린",
    "블루",
    "넥스트",
    "퓨처",
    "에이스",
    "골드",
]
KO_SUFFIX = [
    "전자",
    "제약",
    "물산",
    "소프트",
    "테크",
    "바이오",
    "건설",
    "식품",
    "에너지",
    "로지스",
    "통신",
    "화학",
    "금융",
    "증권",
    "보험",
    "유통",
    "미디어",
    "게임즈",
    "모빌리티",
    "헬스케어",
    "시스템",
    "네트웍스",
    "엔지니어링",
    "푸드",
]
EN_FIRST = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Cyberdyne",
    "Wonka",
    "Tyrell",
    "Oscorp",
    "Massive",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Litware",
    "Adventure",
    "Blue",
    "Bright",
    "Silver",
    "Rapid",
    "Quantum",
    "Nimbus",
    "Vertex",
    "Summit",
    "Harbor",
    "Pioneer",
    "Atlas",
]
EN_SECOND = [
    "Dynamics",
    "Systems",
    "Labs",
    "Analytics",
    "Logistics",
    "Health",
    "Energy",
    "Robotics",
    "Media",
    "Foods",
    "Networks",
    "Software",
    "Capital",
    "Works",
    "Cloud",
    "Data",
    "Motors",
    "Bio",
    "Retail",
    "Security",
]
EN_SUFFIX = ["Corp.", "Inc.", "Ltd", "LLC", "Co.", "Group", "", ""]
KO_FORMS = ["{name}", "(주){name}", "{name} 주식회사", "㈜{name}"]


def company_names(n: int, seed: int = 42) -> list[tuple[str, str]]:
    """`n` unique (name, domain) pairs, about half Korean, half English, the same for the same seed."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        if rng.random() < 0.5:
            core = rng.choice(KO_PREFIX) + rng.choice(KO_SUFFIX)
            name = rng.choice(KO_FORMS).format(name=core)
            domain_core = "kr-company-"
            tld = ".co.kr"
        else:
            core = f"{rng.choice(EN_FIRST)} {rng.choice(EN_SECOND)}"
            name = f"{core} {rng.choice(EN_SUFFIX)}".strip()
            domain_core = core.lower().replace(" ", "")
            tld = ".com"
        if normalize_key(name) in seen:
            name = f"{name} {len(out)}"
        seen.add(normalize_key(name))
        out.append((name, f"{domain_core}{len(out)}{tld}"))
    return out
