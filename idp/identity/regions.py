"""Province-level administrative division codes (GB/T 2260), the first two digits of a
resident ID number's region and of a credit code's registration division."""

from __future__ import annotations

from typing import Final

#: Mainland provinces, autonomous regions and municipalities (GB/T 2260).
MAINLAND_PROVINCES: Final[dict[str, str]] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}

#: Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018)
#: carry an 18-digit GB 11643 number whose region is exactly one of these.
RESIDENCE_PERMIT_REGIONS: Final[dict[str, str]] = {
    "810000": "香港特别行政区居民居住证",
    "820000": "澳门特别行政区居民居住证",
    "830000": "台湾地区居民居住证",
}


def province_name(code: str) -> str | None:
    """The province named by the first two digits of ``code``, if any."""
    return MAINLAND_PROVINCES.get(code[:2])
