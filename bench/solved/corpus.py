"""Realistic solved problems in Chinese: the plan's industries, their pests and diseases, and noise.

Deterministic for a seed. Each problem is (category, title, description, resolution, rating); the
texts are what a township's staff would type on a phone (short, colloquial, sometimes with the
village's own words) and what a commissioner would write when it was solved.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

# category code -> [(crop or animal, [troubles])]: the plan's industries (百色 芒果, 柑橘, 香蕉, 油茶,
# 八角, 桑蚕, 甘蔗, 茶叶, 生猪, 牛羊, 林下鸡 ...) and what goes wrong with them.
INDUSTRIES: dict[str, list[tuple[str, list[str]]]] = {
    "fruit-trees": [
        ("芒果", ["炭疽病", "白粉病", "细菌性角斑病", "蓟马", "横线尾夜蛾", "流胶病", "畸形病", "实蝇", "疮痂病"]),
        ("柑橘", ["黄龙病", "溃疡病", "红蜘蛛", "木虱", "砂皮病", "炭疽病", "裂果", "潜叶蛾"]),
        ("沃柑", ["黄龙病", "溃疡病", "红蜘蛛", "褐斑病", "日灼"]),
        ("香蕉", ["枯萎病", "叶斑病", "象甲", "束顶病", "花叶心腐病", "黑星病"]),
        ("火龙果", ["溃疡病", "茎腐病", "蚜虫"]),
    ],
    "oil-tea": [("油茶", ["炭疽病", "软腐病", "茶毒蛾", "象甲", "落果", "煤污病"])],
    "forestry": [("八角", ["炭疽病", "尺蠖", "叶甲", "落果", "褐斑病"]),
                 ("杉木", ["炭疽病", "松毛虫", "根腐病"]), ("桉树", ["青枯病", "焦枯病", "小蠹虫"])],
    "mulberry-silkworm": [("桑树", ["桑瘿蚊", "青枯病", "褐斑病", "花叶病"]),
                          ("家蚕", ["脓病", "僵病", "微粒子病", "软化病"])],
    "sugarcane": [("甘蔗", ["螟虫", "黑穗病", "梢腐病", "绵蚜", "锈病", "宿根矮化病"])],
    "tea": [("茶树", ["小绿叶蝉", "茶饼病", "茶尺蠖", "炭疽病", "黑刺粉虱"])],
    "vegetables": [("番茄", ["晚疫病", "青枯病", "灰霉病", "根结线虫"]),
                   ("辣椒", ["疫病", "炭疽病", "病毒病", "蓟马"]),
                   ("白菜", ["霜霉病", "软腐病", "小菜蛾", "黑腐病"])],
    "livestock": [("生猪", ["疫病", "非洲猪瘟防控", "蓝耳病", "仔猪腹泻", "圆环病毒病", "链球菌病"]),
                  ("牛羊", ["口蹄疫", "羊痘", "体内寄生虫", "传染性胸膜肺炎", "瘤胃臌气"]),
                  ("林下鸡", ["新城疫", "禽流感", "球虫病", "啄羽", "传染性支气管炎"])],
    "aquaculture": [("罗非鱼", ["链球菌病", "烂鳃病", "小瓜虫"]), ("草鱼", ["出血病", "肠炎", "烂鳃病"])],
    "tcm-herbs": [("铁皮石斛", ["软腐病", "黑斑病", "蜗牛"]), ("三七", ["根腐病", "黑斑病", "圆斑病"])],
    "farm-machinery": [("微耕机", ["启动不了", "齿轮箱漏油", "冒黑烟"]), ("植保无人机", ["断连", "喷头堵塞"])],
    "e-commerce": [("芒果网店", ["差评多", "物流损耗", "定价"]), ("直播带货", ["流量少", "退货率高"])],
}

SYMPTOMS = {
    "plant": ["叶片出现黑褐色斑点", "成片发黄", "果实腐烂", "大量落果", "长势很差", "根部发黑", "枝条干枯",
              "出现白色粉状物", "叶子卷曲", "果面有斑", "产量下降"],
    "animal": ["不吃食", "拉稀", "精神不好", "死亡增多", "咳嗽发烧", "掉膘", "浮头"],
    "other": ["出了问题", "搞不定", "损失很大", "效果很差"],
}
KIND = {"livestock": "animal", "aquaculture": "animal", "farm-machinery": "other", "e-commerce": "other"}
SIZES = {"plant": "亩", "animal": "头", "other": "台"}
ASKS = ["怎么办", "求助", "急需技术指导", "请专家来看看", "怎么防治", "用什么药", "如何处理", "有没有好办法"]
PLACES = ["坡地", "山脚", "河边", "新开的果园", "老果园", "合作社基地", "示范点", "后山", "村口那片地"]
REMEDIES = ["喷施代森锰锌", "喷施咪鲜胺", "剪除病枝集中烧毁", "挖除病株并消毒", "加强排水", "增施有机肥",
            "悬挂黄板诱杀", "释放捕食螨", "接种疫苗", "隔离病畜", "全场消毒", "调整饲料配方", "更换抗病品种",
            "修剪通风", "土壤改良", "轮作", "统一防控", "培训农户"]
NOISE = "的了是在有和就不人都一上也很到说要去你会着没看好自己这那天里家些还多地得时把被让给从向对"


def _noise(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(NOISE) for _ in range(n))


def solved_problems(n: int, seed: int) -> Iterator[tuple[str, str, str, str, int]]:
    """``n`` solved problems: (category, title, description, resolution, rating)."""
    rng = random.Random(seed)
    codes = sorted(INDUSTRIES)
    for _ in range(n):
        category = rng.choice(codes)
        crop, troubles = rng.choice(INDUSTRIES[category])
        trouble = rng.choice(troubles)
        kind = KIND.get(category, "plant")
        symptom = rng.choice(SYMPTOMS[kind])
        shape = rng.random()
        if shape < 0.4:
            title = f"{crop}{trouble}{rng.choice(ASKS)}"
        elif shape < 0.7:
            title = f"{crop}{symptom}，疑似{trouble}"
        else:
            title = f"{rng.choice(PLACES)}{crop}{symptom}{rng.choice(ASKS)}"
        description = (
            f"我村{rng.choice(PLACES)}的{crop}{rng.randint(2, 300)}{SIZES[kind]}，最近{rng.randint(2, 20)}天{symptom}，"
            f"{_noise(rng, rng.randint(10, 60))}。群众担心是{trouble}，{rng.choice(ASKS)}。"
        )
        resolution = (
            f"现场查看确认为{crop}{trouble}。{rng.choice(REMEDIES)}，{rng.choice(REMEDIES)}，"
            f"{rng.randint(3, 15)}天后复查好转。{_noise(rng, rng.randint(5, 40))}"
        )
        yield category, title[:120], description, resolution, rng.choice((3, 4, 4, 5, 5, 5))
