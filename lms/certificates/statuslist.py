"""W3C Bitstring Status Lists: hand out entries, flip bits, and publish the signed list.

Each credential carries one `BitstringStatusListEntry` (the OB 3.0 schema allows a single
`credentialStatus` object). Its list has the purpose `suspension`, the reversible one, because
every way out of force is reversible here: suspension, revocation (an admin may undo one made in
error, audited) and supersession by a renewal. The bit is set while the certificate is not in
force; the verify page and API say why (revoked, with date and reason, suspended, renewed).
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import sqlalchemy as sa

from lms.certificates import credentials, keys
from lms.certificates.models import STATUS_LIST_SIZE, StatusList, StatusPurpose
from lms.db import db, utcnow

#: The purpose of the lists certificates get their entry from (see the module docstring).
CERTIFICATE_STATUS_PURPOSE = StatusPurpose.SUSPENSION


class StatusListFull(RuntimeError):
    """No entry could be allocated (should not happen: a new list is made when one fills)."""


def encode_bits(bits: bytes) -> str:
    """GZIP, then base64url without padding, with the multibase prefix `u`."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bits(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must start with the multibase prefix 'u'")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _position(index: int) -> tuple[int, int]:
    """Byte and mask of entry `index`: entry 0 is the left-most (most significant) bit."""
    return index // 8, 0x80 >> (index % 8)


def bit_is_set(bits: bytes, index: int) -> bool:
    byte, mask = _position(index)
    return bool(bits[byte] & mask)


def create_list(purpose: StatusPurpose, size: int = STATUS_LIST_SIZE) -> StatusList:
    if size < STATUS_LIST_SIZE or size % 8:
        raise ValueError(f"a status list has at least {STATUS_LIST_SIZE} entries, in whole bytes")
    status_list = StatusList(purpose=purpose, size=size, bits=bytes(size // 8), next_index=0)
    db.session.add(status_list)
    db.session.flush()
    signed_credential(status_list)
    return status_list


def allocate_entry(
    purpose: StatusPurpose = CERTIFICATE_STATUS_PURPOSE,
) -> tuple[StatusList, int]:
    """A fresh entry: the list and its index.

    The index comes from one atomic `UPDATE ... SET next_index = next_index + 1 ... RETURNING`,
    which locks the row until commit, so concurrent issuers never share an index.
    """
    table = StatusList.__table__
    for _attempt in range(5):
        status_list = db.session.scalar(
            sa.select(StatusList)
            .where(StatusList.purpose == purpose, StatusList.next_index < StatusList.size)
            .order_by(StatusList.id)
            .limit(1)
        )
        if status_list is None:
            status_list = create_list(purpose)
        taken = db.session.execute(
            sa.update(table)
            .where(table.c.id == status_list.id, table.c.next_index < table.c.size)
            .values(next_index=table.c.next_index + 1)
            .returning(table.c.next_index)
        ).scalar()
        if taken is not None:
            return status_list, int(taken) - 1
    raise StatusListFull("could not allocate a status list entry; try again")


def set_bit(status_list_id: int, index: int, value: bool) -> bool:
    """Set or clear one entry and re-sign the list at once; return whether it changed."""
    status_list = db.session.execute(
        sa.select(StatusList)
        .where(StatusList.id == status_list_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if not 0 <= index < status_list.size:
        raise IndexError(f"entry {index} is outside status list {status_list_id}")
    if bit_is_set(status_list.bits, index) == value:
        return False
    bits = bytearray(status_list.bits)
    byte, mask = _position(index)
    bits[byte] = bits[byte] | mask if value else bits[byte] & ~mask
    status_list.bits = bytes(bits)
    status_list.updated_at = utcnow()
    status_list.credential = None
    signed_credential(status_list)
    return True


def list_claims(status_list: StatusList) -> dict[str, Any]:
    """The BitstringStatusListCredential for the list's current bits."""
    url = credentials.status_list_url(status_list.id)
    now = utcnow()
    return {
        "@context": [credentials.VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": credentials.issuer_id(),
        "validFrom": credentials.iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose.value,
            "encodedList": encode_bits(status_list.bits),
        },
        "iss": credentials.issuer_id(),
        "jti": url,
        "sub": f"{url}#list",
        "nbf": credentials.epoch(now),
        "iat": credentials.epoch(now),
    }


def signed_credential(status_list: StatusList) -> str:
    """The signed list: the cached one, or signed now when the bits or the key changed."""
    if status_list.credential:
        return status_list.credential
    key = keys.ensure_signing_key()
    status_list.credential = credentials.sign(list_claims(status_list), key)
    status_list.signed_with = key.kid
    db.session.flush()
    return status_list.credential


def resign_lists_of(kid: str) -> int:
    """Re-sign every list last signed by `kid`, and any left unsigned by a key revocation."""
    count = 0
    for status_list in db.session.scalars(
        sa.select(StatusList).where(
            sa.or_(StatusList.signed_with == kid, StatusList.credential.is_(None))
        )
    ):
        status_list.credential = None
        signed_credential(status_list)
        count += 1
    return count
