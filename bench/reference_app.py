"""The yardstick: the least a Flask app must do for each benchmarked kind of page.

Served by gunicorn exactly like the app (same workers, same machine, same run), so that each
of our routes is reported as a ratio to what bare Flask achieves here:

- `/bare`: a bare route returning text;
- `/template`: the same, rendering a small template;
- `/verify/<id>`: one indexed lookup of the certificate by its id, one Ed25519 JWS
  verification with PyJWT, and the template.
"""

from __future__ import annotations

import os
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, render_template

from lms.certificates.keys import public_key_from_jwk

app = Flask(__name__)
_url = os.environ.get("LMS_DATABASE_URL", "sqlite:///instance/bench.sqlite3")
if _url.startswith("postgresql://"):
    _url = "postgresql+psycopg://" + _url.split("://", 1)[1]
engine = sa.create_engine(_url)
_keys: dict[str, Ed25519PublicKey] = {}


def _public_key(kid: str) -> Ed25519PublicKey:
    if not _keys:
        with engine.connect() as connection:
            for key_id, jwk in connection.execute(
                sa.text("SELECT kid, public_jwk FROM signing_keys")
            ):
                _keys[key_id] = public_key_from_jwk(
                    jwk if isinstance(jwk, dict) else __import__("json").loads(jwk)
                )
    return _keys[kid]


@app.route("/bare")
def bare() -> str:
    return "ok"


@app.route("/template")
def template() -> str:
    return render_template("reference.html", title="Reference", certificate=None, message="ok")


@app.route("/verify/<public_id>")
def verify(public_id: str) -> Any:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT public_id, key_id, credential FROM certificates WHERE public_id = :id"),
            {"id": public_id},
        ).first()
    if row is None:
        return render_template(
            "reference.html", title="Not found", certificate=None, message="no"
        ), 404
    claims = jwt.decode(
        row.credential,
        key=_public_key(row.key_id),
        algorithms=["EdDSA"],
        options={"verify_aud": False},
    )
    shown = [
        ("name", claims.get("name")),
        ("issuer", claims["iss"]),
        ("until", claims.get("validUntil")),
    ]
    return render_template(
        "reference.html", title="Verified", certificate=row, verdict="valid", claims=shown
    )
