"""What the demo people have on their desks: a real-name registry to verify against, a company,
a seal, a licence and an approval, so every page of the user space shows something real.

Seeded once and idempotently by ``demo/run.py``; each piece goes through the same services
an operator's command or a department system's API call uses.
"""

from __future__ import annotations

import tempfile
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Final

from idp.departments import add_department
from idp.departments import list_departments
from idp.provider import Provider
from idp.realname import parse_id_document
from idp.registry.importer import import_entities
from idp.registry.importer import import_persons
from licences.licence_types import example_types
from signing.approvals import ApprovalRequest
from tongban.licence_wiring import build_licence_service
from tongban.runtime import Runtime
from tongban.services import build_signing

#: The people of the demo registry: 张三 is verified at seeding, 李四 can verify himself at
#: /account/realname with the number printed on the console.
IDENTITIES: Final = {
    "zhangsan": ("张三", "33010619850615002X"),
    "lisi": ("李四", "330106199003074517"),
}
COMPANY: Final = ("91330106MA2H2KFU2B", "杭州西湖云帆智联数字科技有限公司")
DEPARTMENT: Final = "scjgj"
ISSUER_CODE: Final = "11330106MB1C586785"

BUSINESS_LICENCE: Final = {
    "company_type": "有限责任公司（自然人投资或控股）",
    "legal_representative": "张三",
    "registered_capital": "壹佰万元整",
    "established_on": "2024-05-20",
    "business_term": {"from": "2024-05-20", "to": "长期"},
    "address": "浙江省杭州市西湖区文三路478号华星时代广场A座1201室",
    "business_scope": "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；"
    "软件开发；信息系统集成服务；数据处理服务。",
    "registration_authority": "杭州市西湖区市场监督管理局",
    "registered_on": "2024-05-20",
}

APPROVAL: Final = {
    "title": "关于准予杭州西湖云帆智联数字科技有限公司食品经营许可的批复",
    "document_number": "浙市监审〔2026〕108号",
    "applicant": COMPANY[1],
    "body": [
        "你公司《关于申请食品经营许可的请示》及相关材料收悉。经审查，申请材料齐全、符合法定形式。",
        "根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予你公司食品经营许可，"
        "经营项目为预包装食品销售（含冷藏冷冻食品），许可证有效期五年。",
        "请你公司严格按照许可范围从事经营活动，落实食品安全主体责任，依法接受监督检查。",
    ],
    "issuers": ["市场监督管理局"],
    "issued_on": "2026-11-20",
}


def seed_documents(runtime: Runtime, provider: Provider) -> None:
    """The registry, 张三's verified identity and company, the department's seal, a
    business licence for the company and an approval for 张三; whatever exists is kept."""
    now = datetime.now(UTC)
    _load_registry(provider, now)
    zhang = provider.accounts.by_username("zhangsan")
    if not zhang.realname_verified:
        name, number = IDENTITIES["zhangsan"]
        provider.accounts.set_realname(
            zhang.id,
            name,
            parse_id_document("resident_id", number, today=now.date()),
            verified_by="local",
            reference=None,
            now=now,
            actor="demo",
        )
    if provider.entities.find(COMPANY[0]) is None:
        provider.entities.register(COMPANY[0], COMPANY[1], zhang.id, now=now, actor="demo")

    if DEPARTMENT not in {d.id for d in list_departments(provider.db)}:
        add_department(
            provider.db, DEPARTMENT, "市场监督管理局", name_en=None, now=now, actor="demo"
        )
    signing = build_signing(runtime)
    seals = [s for s in signing.seals.for_department(DEPARTMENT) if s.status == "active"]
    seal = seals[0] if seals else None
    if seal is None:
        seal = signing.seals.create(DEPARTMENT, purpose="行政审批专用章", now=now, actor="demo")
    if not signing.approvals_for_person(zhang.id):
        signing.approvals.submit(
            ApprovalRequest(seal.id, zhang.id, data=APPROVAL),
            department_id=DEPARTMENT,
            client_id=None,
            idempotency_key=None,
            now=now,
            actor="demo",
        )

    licences = build_licence_service(runtime, signing)
    known = {t.id for t in licences.list_types()}
    for licence_type in example_types():
        if licence_type.id not in known:
            licences.put_type(licence_type.definition, now=now, actor="demo")
    licences.register_issuer(
        DEPARTMENT,
        name="杭州市西湖区市场监督管理局",
        credit_code=ISSUER_CODE,
        now=now,
        actor="demo",
    )
    if not licences.licences_of("entity", COMPANY[0]):
        licences.issue(
            type_id="business_licence",
            department_id=DEPARTMENT,
            holder_kind="entity",
            holder_code=COMPANY[0],
            holder_name=COMPANY[1],
            data=BUSINESS_LICENCE,
            now=now,
            actor="demo",
        )


def _load_registry(provider: Provider, now: datetime) -> None:
    """The demo's stand-in for the national registry: two persons and one company."""
    with tempfile.TemporaryDirectory() as tmp:
        persons = Path(tmp) / "persons.csv"
        persons.write_text(
            "姓名,证件号码,证件类型\n"
            + "".join(f"{name},{number},resident_id\n" for name, number in IDENTITIES.values()),
            encoding="utf-8",
        )
        entities = Path(tmp) / "entities.csv"
        entities.write_text(
            f"统一社会信用代码,名称,法定代表人,登记状态\n{COMPANY[0]},{COMPANY[1]},张三,存续\n",
            encoding="utf-8",
        )
        import_persons(provider.db, provider.pii, persons, now=now)
        import_entities(provider.db, entities, now=now)
