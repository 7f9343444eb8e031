"""One vocabulary of categories (品类) for what a seller lists as a product and what it procures from households
(订单收购): a product of ``grain_oil`` and a procurement of ``grain_oil`` are the same 粮油.

Each category carries its Chinese label and the class of operating cost (生产经营性支出) the 楚雄州 income card
deducts for it, by which the ``income.cost_ratio.<class>`` parameters are named: 粮食 ``grain``, 烟叶 ``tobacco``,
畜禽 ``livestock``, 林果 ``forest_fruit``, 其他作物 ``other_crops``. The parameters keep those names, so versions
counties recorded before stay in force.

Procurements recorded before the one vocabulary named their produce by cost class (``grain``, ``livestock``,
``forest_fruit``, ``other_crops``, ``tobacco``); ``FORMER_PRODUCE`` maps each to the category that has that cost
class, so old events read as the category and deduct the same cost (see ``LinkageLedger.PaymentRecorded``'s
upcast).
"""

from __future__ import annotations

from typing import NamedTuple


class Category(NamedTuple):
    label: str
    cost_class: str
    """The 楚雄 cost class whose ``income.cost_ratio.<class>`` applies to a procurement of this category."""


COST_CLASSES: dict[str, str] = {
    "grain": "粮食",
    "tobacco": "烟叶",
    "livestock": "畜禽",
    "forest_fruit": "林果",
    "other_crops": "其他作物",
}
"""The classes of 楚雄州建档立卡贫困户收入明白卡 (生产经营性支出 by 粮食, 烟叶, 畜禽, 林果, 其他作物)."""

CATEGORIES: dict[str, Category] = {
    "grain_oil": Category("粮油", "grain"),
    "vegetables": Category("蔬菜", "other_crops"),
    "fruit": Category("水果", "forest_fruit"),
    "meat_eggs": Category("肉禽蛋", "livestock"),
    "aquatic": Category("水产品", "other_crops"),
    "tea": Category("茶叶", "other_crops"),
    "forest_products": Category("林特产品", "forest_fruit"),
    "tobacco": Category("烟叶", "tobacco"),
    "processed_food": Category("加工食品", "other_crops"),
    "handicrafts": Category("手工艺品", "other_crops"),
    "other": Category("其他", "other_crops"),
}

FORMER_PRODUCE: dict[str, str] = {
    "grain": "grain_oil",
    "livestock": "meat_eggs",
    "forest_fruit": "forest_products",
    "other_crops": "other",
}
"""A procurement's produce code before the one vocabulary → its category (same cost class). ``tobacco`` kept its
name."""

assert all(CATEGORIES[new].cost_class == old for old, new in FORMER_PRODUCE.items())


def category_of(code: str | None) -> str | None:
    """The category a stored code names today: a former produce code is read as its category."""
    if code is None or code in CATEGORIES:
        return code
    return FORMER_PRODUCE.get(code, code)


def cost_class(code: str | None) -> str:
    """The cost class of a procurement's category (a former produce code reads as its category); a code outside
    the vocabulary, or none, is other crops (其他作物)."""
    category = category_of(code)
    return CATEGORIES[category].cost_class if category in CATEGORIES else "other_crops"


def described() -> str:
    """The vocabulary as a sentence: ``grain_oil (粮油), vegetables (蔬菜), …``."""
    return ", ".join(f"{code} ({c.label})" for code, c in CATEGORIES.items())
