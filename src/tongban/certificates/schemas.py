"""Field schemas for the two registry proofs, for the admin and for setting up a deployment.

``x-source`` says where each value comes from: ``registry.<column>`` of the population or
enterprise record (choice columns give their Chinese label, ``registry.region`` the full
region name), ``holder.name`` / ``holder.number``, ``data.<field>`` of the case data,
``case.number``, ``item.name`` or ``department.name``.
"""

HOUSEHOLD_PROOF = {
    "type": "object",
    "properties": {
        "name": {"title": "姓名", "x-source": "registry.name"},
        "sex": {"title": "性别", "x-source": "registry.sex"},
        "ethnicity": {"title": "民族", "x-source": "registry.ethnicity"},
        "birth_date": {"title": "出生日期", "x-source": "registry.birth_date"},
        "id_number": {"title": "公民身份号码", "x-source": "registry.id_number"},
        "address": {"title": "户籍地址", "x-source": "registry.address"},
        "region": {"title": "户籍所在地", "x-source": "registry.region"},
        "status": {"title": "户籍状态", "x-source": "registry.status"},
    },
    "required": ["name", "id_number"],
}

ENTERPRISE_PROOF = {
    "type": "object",
    "properties": {
        "name": {"title": "企业名称", "x-source": "registry.name"},
        "uscc": {"title": "统一社会信用代码", "x-source": "registry.uscc"},
        "kind": {"title": "类型", "x-source": "registry.kind"},
        "legal_rep_name": {"title": "法定代表人", "x-source": "registry.legal_rep_name"},
        "address": {"title": "住所", "x-source": "registry.address"},
        "established_on": {"title": "成立日期", "x-source": "registry.established_on"},
        "status": {"title": "登记状态", "x-source": "registry.status"},
    },
    "required": ["name", "uscc"],
}
