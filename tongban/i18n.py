"""Page languages: zh-CN first, English switchable.

The locale comes from ``?lang=``, then the ``lang`` cookie, then Accept-Language.
Each domain package may ship a ``MESSAGES`` catalogue (``{locale: {key: text}}``) that
the app factory merges in with :func:`register`; templates call ``_("key")``.
A test checks that every key exists in every locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LOCALES: Final = ("zh-CN", "en")
DEFAULT_LOCALE: Final = "zh-CN"
COOKIE: Final = "lang"

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "brand": "通办",
        "brand.tagline": "一网通办 · 统一身份认证、电子印章与电子证照",
        "nav.home": "首页",
        "lang.switch": "English",
        "footer.text": "通办 Tongban · 开源政务服务平台",
        "home.title": "一网通办",
        "home.lead": "一次登录，办遍各部门业务。",
        "home.identity": "统一身份认证",
        "home.identity.text": "自然人、法人和其他组织实名认证，单点登录各部门业务系统。",
        "home.seals": "电子印章",
        "home.seals.text": "部门电子印章加盖在批复文件上，任何标准验证器都能验证。",
        "home.licences": "电子证照",
        "home.licences.text": "证照二维码用手机相机扫一扫即可核验，离线也能验证。",
        "error.title": "出错了",
        "error.request_id": "请求编号",
        "error.back": "返回首页",
        "error.400": "请求有误。",
        "error.403": "您没有权限访问此页面。",
        "error.404": "找不到您要访问的页面。",
        "error.405": "不支持该请求方法。",
        "error.413": "上传的内容太大。",
        "error.429": "请求过于频繁，请稍后再试。",
        "error.500": "服务器内部错误，我们已记录此问题。",
        "error.503": "服务暂时不可用，请稍后重试。",
        "nav.me": "我的空间",
        "nav.login": "登录",
        "nav.logout": "退出",
        "me.title": "我的空间",
        "me.overview": "概览",
        "me.account": "账号与安全",
        "me.approvals": "我的批文",
        "me.approvals_intro": (
            "各部门为您出具、加盖电子印章的批复文件。"
            "下载的 PDF 可用任何标准的 PDF 签名验证工具核验。"
        ),
        "me.no_approvals": "暂无批复文件。",
        "me.approval_title": "文件",
        "me.department": "出具部门",
        "me.signed_at": "盖章时间",
        "me.download": "下载",
        "me.approvals_verify": "收到他人转来的批文？",
        "me.verify_page": "核验电子印章",
        "me.licences": "我的证照",
        "me.licences_intro": (
            "您本人及您可代办的企业、组织持有的电子证照。扫描二维码即可在线核验，也可离线核验。"
        ),
        "me.no_licences": "暂无电子证照。",
        "me.qr_alt": "证照 {id} 的二维码",
        "me.valid_from": "有效期自 {when}",
        "me.download_pdf": "下载 PDF",
        "me.open_verify": "打开核验页",
        "me.state_valid": "有效",
        "me.state_expired": "已过期",
        "me.state_not_yet_valid": "尚未生效",
        "me.state_suspended": "已中止",
        "me.state_revoked": "已注销",
        "me.tile_approvals": "份批复文件",
        "me.tile_licences": "张电子证照",
        "me.todo_realname": "您的账号尚未实名认证，部分事项需要实名后才能办理。",
        "me.do_realname": "去实名认证",
        "me.todo_strong": "为账号添加通行密钥或动态口令，可登录需要三级认证的系统。",
        "me.do_strong": "去设置",
        "me.acting": "当前身份",
        "me.myself": "本人",
        "me.switch": "切换",
        "me.tile_sessions": "个活动会话",
        "me.tile_connections": "个已授权系统",
        "me.tile_entities": "个关联企业或组织",
        "me.sessions": "会话与登录记录",
        "me.connections": "已授权的系统",
        "me.hello": "{name}，您好",
        "me.username": "用户名",
        "me.account_level": "账号认证等级",
        "me.login_level": "本次登录等级",
        "me.methods": "本次登录方式",
        "me.since": "注册时间",
        "me.end_all": "在所有设备上退出",
        "me.started": "登录时间",
        "me.level": "等级",
        "me.network": "网络",
        "me.systems": "使用过的系统",
        "me.state": "状态",
        "me.ended": "已结束 {when}",
        "me.live": "活动中",
        "me.this_session": "当前会话",
        "me.end": "结束",
        "me.connections_intro": "以下部门业务系统经您同意可获取您的信息。撤销后，它们将无法再使用您的授权。",
        "me.no_connections": "您尚未授权任何系统。",
        "me.granted": "授权于 {when}",
        "me.revoke": "撤销授权",
        "loa.0": "未知",
    },
    "en": {
        "brand": "Tongban",
        "brand.tagline": "One network for government services · identity, e-seals, e-licences",
        "nav.home": "Home",
        "lang.switch": "中文",
        "footer.text": "Tongban (通办) · open-source government services",
        "home.title": "Handle everything through one network",
        "home.lead": "Log in once, use every department's services.",
        "home.identity": "Unified identity",
        "home.identity.text": (
            "Real-name verification of persons, legal entities and organizations, with single "
            "sign-on into every department system."
        ),
        "home.seals": "Electronic seals",
        "home.seals.text": (
            "Departments' seals on approval documents that any standard validator accepts."
        ),
        "home.licences": "E-licences",
        "home.licences.text": ("Licence QR codes that a phone camera verifies, online or offline."),
        "error.title": "Something went wrong",
        "error.request_id": "Request ID",
        "error.back": "Back to the home page",
        "error.400": "The request was not valid.",
        "error.403": "You are not allowed to see this page.",
        "error.404": "The page you asked for does not exist.",
        "error.405": "That request method is not supported here.",
        "error.413": "What you sent is too large.",
        "error.429": "Too many requests; please wait a moment and try again.",
        "error.500": "Something went wrong on our side; it has been logged.",
        "error.503": "The service is temporarily unavailable; please try again shortly.",
        "nav.me": "My space",
        "nav.login": "Log in",
        "nav.logout": "Log out",
        "me.title": "My space",
        "me.overview": "Overview",
        "me.account": "Account and security",
        "me.approvals": "My approvals",
        "me.approvals_intro": (
            "Approval documents departments issued to you, sealed with their electronic "
            "seals. Any standard PDF signature validator can check the PDF."
        ),
        "me.no_approvals": "No approvals yet.",
        "me.approval_title": "Document",
        "me.department": "Department",
        "me.signed_at": "Sealed",
        "me.download": "Download",
        "me.approvals_verify": "Someone sent you an approval?",
        "me.verify_page": "Verify a seal",
        "me.licences": "My licences",
        "me.licences_intro": (
            "E-licences held by you and by the companies and organizations you act for. "
            "The QR code verifies online, and offline."
        ),
        "me.no_licences": "No licences yet.",
        "me.qr_alt": "QR code of licence {id}",
        "me.valid_from": "Valid from {when}",
        "me.download_pdf": "Download PDF",
        "me.open_verify": "Open the verify page",
        "me.state_valid": "Valid",
        "me.state_expired": "Expired",
        "me.state_not_yet_valid": "Not yet valid",
        "me.state_suspended": "Suspended",
        "me.state_revoked": "Revoked",
        "me.tile_approvals": "approvals",
        "me.tile_licences": "licences",
        "me.todo_realname": "Your account is not real-name verified yet; some services need it.",
        "me.do_realname": "Verify your real name",
        "me.todo_strong": "Add a passkey or an authenticator app to log in to systems that need level 3.",
        "me.do_strong": "Set one up",
        "me.acting": "Acting as",
        "me.myself": "Yourself",
        "me.switch": "Switch",
        "me.tile_sessions": "live sessions",
        "me.tile_connections": "connected systems",
        "me.tile_entities": "companies or organizations",
        "me.sessions": "Sessions and logins",
        "me.connections": "Connected systems",
        "me.hello": "Hello, {name}",
        "me.username": "Username",
        "me.account_level": "Account level of assurance",
        "me.login_level": "This login's level",
        "me.methods": "This login's methods",
        "me.since": "Registered",
        "me.end_all": "Log out on every device",
        "me.started": "Logged in",
        "me.level": "Level",
        "me.network": "Network",
        "me.systems": "Systems used",
        "me.state": "State",
        "me.ended": "Ended {when}",
        "me.live": "Active",
        "me.this_session": "This session",
        "me.end": "End",
        "me.connections_intro": "These department systems may receive your information because you "
        "allowed them. Withdrawing stops them from using it.",
        "me.no_connections": "You have not connected any system.",
        "me.granted": "Allowed on {when}",
        "me.revoke": "Withdraw",
        "loa.0": "unknown",
    },
}


def register(catalogue: Mapping[str, Mapping[str, str]]) -> None:
    """Merge a domain's messages; a key defined twice is a programming error."""
    for locale, messages in catalogue.items():
        if locale not in LOCALES:
            raise ValueError(f"unknown locale {locale!r}")
        clash = MESSAGES[locale].keys() & messages.keys()
        if clash and any(MESSAGES[locale][k] != messages[k] for k in clash):
            raise ValueError(f"message keys defined twice: {sorted(clash)}")
        MESSAGES[locale].update(messages)


def negotiate(query: str | None, cookie: str | None, accept: list[str]) -> str:
    """Pick the page language from the query, the cookie, then the browser's list."""
    for candidate in (query, cookie):
        if candidate in LOCALES:
            return candidate
    for tag in accept:
        lowered = tag.lower()
        if lowered.startswith("zh"):
            return "zh-CN"
        if lowered.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def translate(key: str, locale: str, **values: object) -> str:
    """The message for ``key``; falls back to the default locale, then to the key."""
    text = MESSAGES.get(locale, {}).get(key) or MESSAGES[DEFAULT_LOCALE].get(key) or key
    return text.format(**values) if values else text
