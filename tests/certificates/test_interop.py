"""Other people's code verifies our credentials: PyJWT's PyJWKClient against the live JWKS
(the app served on a loopback port), and joserfc."""

import json
import threading
import urllib.request

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError, SecurityWarning
from joserfc.jwk import KeySet
from werkzeug.serving import make_server

from lms.db import db
from tests.certificates.conftest import ISSUER, b64json, isolated_app, only_certificate, parts

REQUIRED = ["iss", "sub", "jti", "nbf", "exp"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The issuer's app with one certificate, served on a free loopback port."""
    application = isolated_app(tmp_path_factory.mktemp("interop"))
    with application.app_context():
        application.config["TOKEN"] = only_certificate().credential
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    application.config["SERVED_AT"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield application
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def live(served):  # type: ignore[no-untyped-def]
    """(base URL of the running app, the genuine credential)."""
    return served.config["SERVED_AT"], served.config["TOKEN"]


def _get_json(url: str):  # type: ignore[no-untyped-def]
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback test server)
        return json.loads(response.read())


def _doctored(token: str) -> str:
    header, _, signature = token.split(".")
    payload = parts(token)[1]
    payload["credentialSubject"]["result"][0]["value"] = "exemplary"
    return f"{header}.{b64json(payload)}.{signature}"


def test_pyjwt_verifies_with_the_live_jwks(live):
    base, token = live
    client = jwt.PyJWKClient(f"{base}/.well-known/jwks.json")
    signing_key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["EdDSA"],
        issuer=ISSUER,
        options={"require": REQUIRED},
    )
    assert claims["credentialSubject"]["achievement"]["achievementType"] == "Certification"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(_doctored(token), signing_key.key, algorithms=["EdDSA"], issuer=ISSUER)


def test_the_kid_url_serves_the_same_key_as_the_jwks(live):
    base, token = live
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid.startswith("https://lms.example.test/keys/")
    jwk = _get_json(f"{base}/keys/{kid.rsplit('/', 1)[1]}")
    assert jwk in _get_json(f"{base}/.well-known/jwks.json")["keys"]
    assert jwk["kid"] == kid


def test_joserfc_verifies_the_credential_and_the_status_list(live):
    base, token = live
    key_set = KeySet.import_key_set(_get_json(f"{base}/.well-known/jwks.json"))
    claims_registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        **{claim: {"essential": True} for claim in REQUIRED if claim != "iss"},
    )
    # joserfc flags the JOSE name "EdDSA" as superseded by "Ed25519" (RFC 9864); SPEC §3 fixes
    # "EdDSA", which every verifier still accepts.
    with pytest.warns(SecurityWarning, match="EdDSA"):
        decoded = jose_jwt.decode(token, key_set, algorithms=["EdDSA"])
    claims_registry.validate(decoded.claims)
    assert decoded.header["alg"] == "EdDSA"
    status_url = decoded.claims["credentialStatus"]["statusListCredential"]
    list_path = status_url.removeprefix("https://lms.example.test")
    with urllib.request.urlopen(f"{base}{list_path}", timeout=5) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("application/jwt")
        status_list = response.read().decode()
    with pytest.warns(SecurityWarning, match="EdDSA"):
        listed = jose_jwt.decode(status_list, key_set, algorithms=["EdDSA"])
    assert listed.claims["credentialSubject"]["type"] == "BitstringStatusList"
    with pytest.warns(SecurityWarning), pytest.raises(BadSignatureError):
        jose_jwt.decode(_doctored(token), key_set, algorithms=["EdDSA"])


def test_our_issuer_profile_is_served_live(live):
    base, _ = live
    assert _get_json(f"{base}/issuer")["id"] == ISSUER


def test_the_command_line_verifies_offline_with_a_jwks_url(served, live):
    base, token = live
    runner = served.test_cli_runner()
    jwks_url = f"{base}/.well-known/jwks.json"
    result = runner.invoke(args=["certificates", "verify", token, "--jwks", jwks_url])
    assert result.exit_code == 0, result.output
    assert "✓ signature:" in result.output
    assert "– status:" in result.output
    doctored = runner.invoke(args=["certificates", "verify", _doctored(token), "--jwks", jwks_url])
    assert doctored.exit_code == 1
    assert "✗ signature:" in doctored.output
    unreachable = runner.invoke(
        args=["certificates", "verify", token, "--jwks", "http://127.0.0.1:9/jwks.json"]
    )
    assert unreachable.exit_code != 0
    assert "Cannot read the key set" in unreachable.output
