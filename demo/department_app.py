"""A demo department system (部门业务系统) that delegates login to Tongban.

A few dozen lines of ordinary relying-party code with Authlib's Flask client: the code
flow with PKCE, RP-initiated logout, and a back-channel logout endpoint. Configured by
environment variables; `demo/run.py` starts two of them beside Tongban.
"""

from __future__ import annotations

import os
import threading

from authlib.integrations.flask_client import OAuth
from flask import Flask
from flask import redirect
from flask import render_template_string
from flask import request
from flask import session
from flask import url_for
from joserfc import jwt
from joserfc.jwk import KeySet

NAME = os.environ.get("DEMO_NAME", "示例部门业务系统")
COLOR = os.environ.get("DEMO_COLOR", "#0b4a8b")
ISSUER = os.environ.get("DEMO_ISSUER", "http://127.0.0.1:8000")
BASE = os.environ.get("DEMO_BASE_URL", "http://127.0.0.1:8001")
OTHER = os.environ.get("DEMO_OTHER_URL", "")
OTHER_NAME = os.environ.get("DEMO_OTHER_NAME", "")

app = Flask(__name__)
app.secret_key = os.environ.get("DEMO_SECRET", os.urandom(32).hex())
app.config["SESSION_COOKIE_NAME"] = f"demo_{BASE.rsplit(':', 1)[-1]}"
oauth = OAuth(app)
oauth.register(
    "tongban",
    client_id=os.environ["DEMO_CLIENT_ID"],
    client_secret=os.environ["DEMO_CLIENT_SECRET"],
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile realname", "code_challenge_method": "S256"},
)
logged_out: set[str] = set()  # sids ended by back-channel logout
lock = threading.Lock()

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ name }}</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f6f9}
header{background:{{ color }};color:#fff;padding:1rem 1.5rem;font-size:1.3rem}main{max-width:40rem;margin:2rem auto;
background:#fff;border-radius:10px;padding:1.5rem 2rem;border:1px solid #d9dee5}a.button,button{background:{{ color }};
color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;font-size:1rem;text-decoration:none;cursor:pointer}
dt{color:#5f6b7a}dd{margin:0 0 .6rem 0;font-weight:600}</style></head><body>
<header>{{ name }}</header><main>
{% if user %}
  <h1 id="welcome">欢迎，{{ user.name }}</h1>
  <dl><dt>本部门下的用户标识 (sub)</dt><dd>{{ user.sub }}</dd>
  <dt>认证等级 (acr)</dt><dd>{{ user.acr }}</dd><dt>会话 (sid)</dt><dd>{{ user.sid }}</dd></dl>
  <p><a class="button" id="logout" href="{{ url_for('logout') }}">退出登录</a></p>
{% else %}
  <h1>您尚未登录</h1><p>通过通办统一身份认证登录本系统。</p>
  <p><a class="button" id="login" href="{{ url_for('login') }}">使用通办登录</a></p>
{% endif %}
{% if other %}<p>也可以访问 <a id="other" href="{{ other }}">{{ other_name }}</a>。</p>{% endif %}
</main></body></html>"""


@app.get("/")
def home():
    user = session.get("user")
    if user and user["sid"] in logged_out:
        session.clear()
        user = None
    return render_template_string(
        PAGE, name=NAME, color=COLOR, user=user, other=OTHER, other_name=OTHER_NAME
    )


@app.get("/login")
def login():
    return oauth.tongban.authorize_redirect(f"{BASE}/callback")


@app.get("/callback")
def callback():
    token = oauth.tongban.authorize_access_token()  # checks state, nonce, the ID token
    claims = token["userinfo"]
    info = oauth.tongban.userinfo(token=token)
    session["user"] = {
        "sub": claims["sub"],
        "sid": claims["sid"],
        "acr": claims["acr"],
        "name": info.get("name", claims["sub"]),
    }
    session["id_token"] = token["id_token"]
    return redirect(url_for("home"))


@app.get("/logout")
def logout():
    """RP-initiated logout: end the session here and at Tongban."""
    id_token = session.pop("id_token", None)
    session.clear()
    metadata = oauth.tongban.load_server_metadata()
    query = {"id_token_hint": id_token or "", "post_logout_redirect_uri": f"{BASE}/"}
    from urllib.parse import urlencode

    return redirect(f"{metadata['end_session_endpoint']}?{urlencode(query)}")


@app.post("/backchannel-logout")
def backchannel_logout():
    """Back-Channel Logout 1.0 §2.6: validate the logout token, forget its session."""
    metadata = oauth.tongban.load_server_metadata()
    keys = KeySet.import_key_set(oauth.tongban.fetch_jwk_set())
    try:
        token = jwt.decode(
            request.form.get("logout_token", ""), keys, algorithms=["ES256", "RS256", "EdDSA"]
        )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": os.environ["DEMO_CLIENT_ID"]},
        ).validate(token.claims)
        if "http://schemas.openid.net/event/backchannel-logout" not in token.claims["events"]:
            raise ValueError("not a logout token")
        if "nonce" in token.claims:
            raise ValueError("a logout token must not carry a nonce")
    except Exception as exc:
        return {"error": "invalid_request", "error_description": str(exc)}, 400
    with lock:
        logged_out.add(token.claims["sid"])
    return "", 200, {"Cache-Control": "no-store"}


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    port = int(BASE.rsplit(":", 1)[-1])
    run_simple("127.0.0.1", port, app, threaded=True)
