"""The credential is an OB 3.0 OpenBadgeCredential that validates against 1EdTech's schema."""

import json
import re
from pathlib import Path

import pytest

import lms
from lms.certificates import credentials, keys
from tests.certificates.conftest import ISSUER, issue, parts
from tests.factories import trainee

STANDARDS = Path(lms.PROJECT_ROOT).parent / "shared" / "standards"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _validator(name: str):  # type: ignore[no-untyped-def]
    """A Draft 2019-09 validator for a schema in ../shared/standards (skip if absent).

    The schemas reference no other documents, and jsonschema ships the 2019-09 meta-schemas,
    so nothing is fetched: the registry is empty on purpose and network use would fail.
    """
    path = STANDARDS / name
    if not path.is_file():
        pytest.skip(f"{path} not found: the 1EdTech schemas live in ../shared/standards")
    from jsonschema import Draft201909Validator
    from referencing import Registry

    schema = json.loads(path.read_text())
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(
        schema, registry=Registry(), format_checker=Draft201909Validator.FORMAT_CHECKER
    )


def _errors(validator, document) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_credential_validates_against_the_ob_3_0_schema(imported):
    certificate = issue(trainee(name="Katherine Johnson"))
    payload = parts(certificate.credential)[1]
    assert _errors(_validator("ob_v3p0_achievementcredential.schema.json"), payload) == []


def test_the_schema_check_would_catch_a_broken_credential(imported):
    validator = _validator("ob_v3p0_achievementcredential.schema.json")
    payload = parts(issue().credential)[1]
    payload["type"] = ["VerifiableCredential"]
    del payload["credentialSubject"]["achievement"]["criteria"]
    assert len(_errors(validator, payload)) >= 2


def test_the_credential_carries_what_spec_section_3_asks_for(imported):
    holder = trainee(name="Dorothy Vaughan")
    certificate = issue(holder, level=2)
    header, payload, _ = parts(certificate.credential)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": keys.kid_url(certificate.key_id)}
    assert payload["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["issuer"]["id"] == payload["iss"] == ISSUER
    assert payload["issuer"]["type"] == ["Profile"]
    assert payload["issuer"]["name"]
    assert payload["issuer"]["url"] == "https://lms.example.test"
    assert (
        payload["jti"]
        == payload["id"]
        == f"https://lms.example.test/verify/{certificate.public_id}"
    )
    subject = payload["credentialSubject"]
    assert payload["sub"] == subject["id"]
    assert re.match(r"^urn:uuid:[0-9a-f-]{36}$", subject["id"])
    assert subject["id"] == credentials.subject_id(holder.id)  # stable per holder
    assert subject["name"] == "Dorothy Vaughan"
    assert ISO_Z.match(payload["validFrom"])
    assert ISO_Z.match(payload["validUntil"])
    assert payload["nbf"] == int(certificate.issued_at.timestamp())
    assert payload["exp"] == int(certificate.expires_at.timestamp())
    assert isinstance(payload["iat"], int)

    achievement = subject["achievement"]
    assert (
        achievement["id"]
        == "https://lms.example.test/courses/accredited-cooperation-coach#achievement"
    )
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == "Certification"
    assert "70" in achievement["criteria"]["narrative"]
    codes = [row["code"] for row in certificate.results]
    assert [a["targetCode"] for a in achievement["alignment"]] == codes
    assert all(a["type"] == ["Alignment"] and a["targetUrl"] for a in achievement["alignment"])
    assert {a["targetType"] for a in achievement["alignment"]} == {"ext:JobProfileKeyActivity"}
    descriptions = {d["id"]: d for d in achievement["resultDescription"]}
    assert len(descriptions) == len(codes)
    for description in descriptions.values():
        assert description["resultType"] == "RubricCriterionLevel"
        levels = description["rubricCriterionLevel"]
        assert [level["level"] for level in levels] == ["0", "1", "2", "3", "4"]
        assert levels[2]["name"] == "competent"
    for result in subject["result"]:
        described = descriptions[result["resultDescription"]]
        achieved = {level["id"]: level for level in described["rubricCriterionLevel"]}
        assert achieved[result["achievedLevel"]]["level"] == "2"

    status = payload["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListIndex"] == str(certificate.status_index)
    assert status["statusListCredential"] == (
        f"https://lms.example.test/status/{certificate.status_list_id}"
    )
    assert status["statusPurpose"] in {"revocation", "suspension"}


def test_the_issuer_profile_validates_against_the_profile_schema(client, issued):
    validator = _validator("ob_v3p0_profile.schema.json")
    response = client.get("/issuer")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    profile = response.get_json()
    assert _errors(validator, profile) == []
    assert profile["id"] == ISSUER
    assert profile["type"] == ["Profile"]
    assert profile["url"] == "https://lms.example.test"
