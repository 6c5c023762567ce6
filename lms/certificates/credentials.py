"""The signed credential: an Open Badges 3.0 OpenBadgeCredential as a compact JWS (VC-JWT).

SPEC §3: the payload is the credential itself plus the registered claims `iss` (issuer id),
`jti` (credential id), `sub` (subject id), `nbf` (= validFrom), `exp` (= validUntil) and
`iat`; the header is `{"alg": "EdDSA", "typ": "JWT", "kid": "<BASE_URL>/keys/<key id>"}`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from typing import Any

import jwt
from flask import current_app

from lms.certificates import keys
from lms.certificates.models import Certificate, SigningKey, StatusList
from lms.courses.models import LEVEL_NAMES

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
DEFAULT_ISSUER_NAME = "Cooperation Coach Accreditation"
#: Claims every credential (and status list) we sign carries.
REQUIRED_CLAIMS = ("iss", "sub", "jti", "nbf", "exp")
_HOLDERS = uuid.UUID("6f1c0d52-54a3-4b8e-9a3e-3c1f0b7d2a10")  # namespace of holder ids


def base_url() -> str:
    return str(current_app.config["BASE_URL"])


def issuer_id() -> str:
    return f"{base_url()}/issuer"


def credential_id(public_id: str) -> str:
    """The credential's id (and `jti`): its verify URL, so that it leads somewhere useful."""
    return f"{base_url()}/verify/{public_id}"


def public_id_from_credential_id(value: object) -> str | None:
    prefix = f"{base_url()}/verify/"
    if isinstance(value, str) and value.startswith(prefix):
        return value[len(prefix) :]
    return None


def subject_id(user_id: int) -> str:
    """A stable `urn:uuid:` per holder and installation; it reveals no e-mail or name."""
    return f"urn:uuid:{uuid.uuid5(_HOLDERS, f'{base_url()}/holders/{user_id}')}"


def status_list_url(list_id: int) -> str:
    return f"{base_url()}/status/{list_id}"


@functools.lru_cache(maxsize=256)
def iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second (as `nbf`/`exp` are). Kept for the last few
    moments: a bulk issue writes the same dates into thousands of credentials."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


def issuer_profile() -> dict[str, Any]:
    """The issuer as an OB 3.0 Profile (in credentials, and served at /issuer)."""
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": str(current_app.config.get("ISSUER_NAME") or DEFAULT_ISSUER_NAME),
        "url": base_url(),
    }


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def sign(claims: dict[str, Any], key: SigningKey) -> str:
    """A compact JWS over `claims`, EdDSA (Ed25519), with our `kid` URL in the header."""
    return jwt.encode(
        claims,
        keys.load_private_key(key),
        algorithm="EdDSA",
        headers={"kid": keys.kid_url(key.kid), "typ": "JWT"},
    )


def status_entry(status_list: StatusList, index: int) -> dict[str, Any]:
    url = status_list_url(status_list.id)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": status_list.purpose.value,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def credential_claims(
    certificate: Certificate,
    *,
    signed_at: dt.datetime,
    achievement: dict[str, Any] | None = None,
    issuer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenBadgeCredential of an issued certificate, with the JWT registered claims.

    `achievement` and `issuer` may be given by a caller signing many certificates of one
    course version (see `achievement_of`, `issuer_profile`): they are the same for all.
    """
    if certificate.issued_at is None or certificate.expires_at is None:
        raise ValueError("a certificate pending approval has no credential yet")
    if certificate.status_list is None or certificate.status_index is None:
        raise ValueError("the certificate has no status list entry yet")
    course = certificate.course
    cid = credential_id(certificate.public_id)
    sid = subject_id(certificate.user_id)
    if achievement is None:
        achievement = _achievement(certificate)
    results = [
        {
            "type": ["Result"],
            "resultDescription": _result_description_id(achievement["id"], row["code"]),
            "achievedLevel": _level_id(achievement["id"], row["code"], int(row["level"])),
            "value": row["level_name"],
            "status": "Completed",
        }
        for row in certificate.results
    ]
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": cid,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": course.title,
        "description": f"Accreditation: {course.title}",
        "issuer": issuer if issuer is not None else issuer_profile(),
        "validFrom": iso(certificate.issued_at),
        "validUntil": iso(certificate.expires_at),
        "awardedDate": iso(certificate.issued_at),
        "credentialSubject": {
            "id": sid,
            "type": ["AchievementSubject"],
            "name": certificate.user.name,
            # The holder's name is a certified claim (SPEC §3), so a doctored PDF shows.
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": certificate.user.name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": achievement,
            "result": results,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": status_entry(certificate.status_list, certificate.status_index),
        "iss": issuer_id(),
        "jti": cid,
        "sub": sid,
        "nbf": epoch(certificate.issued_at),
        "exp": epoch(certificate.expires_at),
        "iat": epoch(signed_at),
    }


def achievement_of(certificate: Certificate) -> dict[str, Any]:
    """The Achievement a certificate attests: its course version and key activities only."""
    return _achievement(certificate)


def _achievement(certificate: Certificate) -> dict[str, Any]:
    course = certificate.course
    snapshot = certificate.content_version.snapshot
    achievement_id = f"{base_url()}/courses/{course.slug}#achievement"
    descriptions = {ka.code: ka.description for ka in course.profile.key_activities}
    profile_url = f"{base_url()}/courses/{course.slug}/derivation"
    minimums = snapshot.get("min_level_by_priority") or {}
    alignment = []
    result_descriptions = []
    for row in certificate.results:
        code = row["code"]
        alignment.append(
            {
                "type": ["Alignment"],
                "targetName": f"{code} {row['title']}",
                "targetDescription": descriptions.get(code, row["title"]),
                "targetUrl": f"{profile_url}#{code.lower()}",
                "targetCode": code,
                "targetFramework": course.profile.title,
                "targetType": "ext:JobProfileKeyActivity",
            }
        )
        rd_id = _result_description_id(achievement_id, code)
        description: dict[str, Any] = {
            "id": rd_id,
            "type": ["ResultDescription"],
            "name": f"{code} {row['title']} (priority {row['priority']})",
            "resultType": "RubricCriterionLevel",
            "allowedValue": list(LEVEL_NAMES),
            "rubricCriterionLevel": [
                {
                    "id": _level_id(achievement_id, code, level),
                    "type": ["RubricCriterionLevel"],
                    "level": str(level),
                    "name": name,
                }
                for level, name in enumerate(LEVEL_NAMES)
            ],
        }
        if row["priority"] in minimums:
            description["requiredLevel"] = _level_id(
                achievement_id, code, int(minimums[row["priority"]])
            )
        result_descriptions.append(description)
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": course.title,
        "description": course.summary,
        "criteria": {"narrative": _criteria_narrative(snapshot)},
        "achievementType": "Certification",
        "inLanguage": course.language,
        "alignment": alignment,
        "resultDescription": result_descriptions,
    }


def _result_description_id(achievement_id: str, code: str) -> str:
    return f"{achievement_id}-{code.lower()}"


def _level_id(achievement_id: str, code: str, level: int) -> str:
    return f"{achievement_id}-{code.lower()}-level-{level}"


def _criteria_narrative(snapshot: dict[str, Any]) -> str:
    weights = snapshot.get("priority_weights") or {}
    minimums = snapshot.get("min_level_by_priority") or {}
    weight_text = ", ".join(f"{p}={w}" for p, w in weights.items())
    minimum_text = "; ".join(
        f"at least level {level} ({LEVEL_NAMES[int(level)]}) in every criterion of priority {p}"
        for p, level in minimums.items()
    )
    text = (
        "Passed the assessed case study of every module, graded against the key activities "
        f"of the job profile weighted by priority ({weight_text}), with a score of at least "
        f"{snapshot.get('pass_mark', 70)}"
    )
    if minimum_text:
        text += f" and {minimum_text}"
    return text + "; and completed every required lesson."
