"""The national theme lists for individuals (个人) and enterprises (法人).

Slugs are pinyin so URLs stay readable and stable across languages.
"""

from pypinyin import lazy_pinyin

PERSON_THEMES = [
    "生育收养",
    "户籍办理",
    "民族宗教",
    "教育科研",
    "入伍服役",
    "就业创业",
    "设立变更",
    "准营准办",
    "抵押质押",
    "职业资格",
    "行政缴费",
    "婚姻登记",
    "优待抚恤",
    "规划建设",
    "住房保障",
    "社会保障",
    "证件办理",
    "交通出行",
    "旅游观光",
    "出境入境",
    "消费维权",
    "公共安全",
    "司法公证",
    "知识产权",
    "环境气象",
    "文化体育",
    "医疗卫生",
    "离职退休",
    "死亡殡葬",
]

ENTERPRISE_THEMES = [
    "设立变更",
    "准营准办",
    "资质认证",
    "年检年审",
    "税收财务",
    "人力资源",
    "社会保障",
    "投资审批",
    "融资信贷",
    "抵押质押",
    "商务贸易",
    "招标拍卖",
    "海关口岸",
    "涉外服务",
    "农林牧渔",
    "国土和规划建设",
    "交通运输",
    "环保绿化",
    "应急管理",
    "科技创新",
    "文化体育",
    "知识产权",
    "检验检疫",
    "安全生产",
    "公用事业",
    "医疗卫生",
    "破产注销",
]


def theme_slug(name: str) -> str:
    return "".join(lazy_pinyin(name))
