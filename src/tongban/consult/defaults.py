"""The shipped starting configuration: limits per kind and the request categories.

Seeded by a data migration; admins change them afterwards (the rows, not this file).
"""

# kind: (answer limit in working days, extension in working days, anonymous allowed)
KIND_RULES = {
    "consult": (1, 0, True),
    "suggest": (10, 5, True),
    "complain": (5, 5, False),
    "help": (3, 2, False),
    "report": (10, 5, True),
}

# code, name, group, description, keywords
CATEGORIES = [
    ("gov-guide", "办事指南与材料", "政务服务", "事项怎么办、要什么材料、在哪里办", "办事 材料 指南 证明"),
    ("gov-window", "窗口服务", "政务服务", "服务态度、排队等候、多次跑腿", "窗口 态度 排队 跑腿"),
    ("gov-online", "网上办事", "政务服务", "网站、APP 无法办理或出错", "网上 网站 系统 登录"),
    ("social-security", "社保与就业", "民生保障", "社保、医保、失业、就业", "社保 医保 失业 就业 工资"),
    ("market", "市场监管与消费", "市场监管", "食品安全、消费纠纷、证照", "食品 消费 商家 假货 营业执照"),
    ("housing", "住房与物业", "城乡建设", "物业、房屋、公积金", "物业 房子 公积金 小区"),
    ("environment", "环境卫生", "城市管理", "垃圾、污水、油烟、污染", "垃圾 污水 油烟 污染 卫生"),
    ("roads", "道路与市政设施", "城市管理", "路面、路灯、井盖、积水", "道路 路灯 井盖 积水 坑"),
    ("noise", "噪声扰民", "城市管理", "施工、娱乐场所、商铺噪声", "噪音 噪声 施工 扰民"),
    ("traffic", "交通出行", "交通运输", "公交、出租车、停车", "公交 出租车 停车 交通"),
    ("education", "教育", "社会事业", "入学、学校收费、校外培训", "入学 学校 培训 学生"),
    ("health", "医疗卫生", "社会事业", "医院服务、疫苗、卫生许可", "医院 看病 疫苗 卫生"),
    ("other", "其他", "其他", "以上都不是", ""),
]
