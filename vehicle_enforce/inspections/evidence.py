"""Evidence photos and videos, stored once on disk under EVIDENCE_PATH and named by their SHA-256.

The same bytes sent twice (a retried post, one plume photo shared by two records) are one file. Files
are written before the database commit; a rolled-back post can leave an unreferenced file, which is
harmless (content-addressed, never served without a link) and can be swept by comparing with the table.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, delete, exists, select, text, tuple_

from vehicle_enforce.core.bulk import insert_ignore_conflicts
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import EvidenceFile, EvidenceLink

MAX_NAME = 128


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


def decode_base64(value: str) -> bytes | None:
    """Decode standard base64 (data: URL prefix allowed); None when it is not base64."""
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def media_type(content: bytes) -> str:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"BM"):
        return "image/bmp"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp":
        return "video/mp4"
    if content.startswith(b"RIFF") and content[8:12] == b"AVI ":
        return "video/x-msvideo"
    return "application/octet-stream"


def root() -> Path:
    return Path(current_app.config["EVIDENCE_PATH"])


def path_for(sha256: str) -> Path:
    return root() / sha256[:2] / sha256[2:4] / sha256


def _write(sha256: str, content: bytes) -> None:
    target = path_for(sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)  # atomic: readers never see a half-written file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stash(content: bytes) -> str:
    """Write a file before it has a record (a photo read now, linked when the form is sent); its SHA-256."""
    sha = hashlib.sha256(content).hexdigest()
    _write(sha, content)
    return sha


def stashed(sha256: str) -> bytes | None:
    """The bytes of a file written by `stash`, or None when there is none under that name."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    path = path_for(sha256)
    return path.read_bytes() if path.is_file() else None


def store(uploads: list[tuple[str, int, Upload]]) -> None:
    """Store (object_type, object_id, upload) triples: files on disk, rows set-wise, links by name."""
    if not uploads:
        return
    by_sha: dict[str, bytes] = {}
    for _, _, up in uploads:
        by_sha.setdefault(hashlib.sha256(up.content).hexdigest(), up.content)
    for sha, content in by_sha.items():
        _write(sha, content)
    insert_ignore_conflicts(
        EvidenceFile.__table__,
        [{"sha256": sha, "size": len(c), "media_type": media_type(c)} for sha, c in by_sha.items()],
        ["sha256"],
    )
    ids = dict(
        db.session.execute(select(EvidenceFile.sha256, EvidenceFile.id).where(EvidenceFile.sha256.in_(by_sha))).all()
    )
    insert_ignore_conflicts(
        EvidenceLink.__table__,
        [
            {
                "object_type": kind,
                "object_id": object_id,
                "name": up.name[:MAX_NAME],
                "evidence_file_id": ids[hashlib.sha256(up.content).hexdigest()],
            }
            for kind, object_id, up in uploads
        ],
        ["object_type", "object_id", "name"],
    )


def links_for(object_type: str, object_ids: list[int]) -> dict[int, list[dict[str, object]]]:
    """Evidence per object: [{"name", "sha256", "media_type", "size", "url"}]."""
    out: dict[int, list[dict[str, object]]] = {i: [] for i in object_ids}
    if not object_ids:
        return out
    rows = db.session.execute(
        select(
            EvidenceLink.object_id, EvidenceLink.name, EvidenceFile.sha256, EvidenceFile.media_type, EvidenceFile.size
        )
        .join(EvidenceFile, EvidenceFile.id == EvidenceLink.evidence_file_id)
        .where(EvidenceLink.object_type == object_type, EvidenceLink.object_id.in_(object_ids))
        .order_by(EvidenceLink.object_id, EvidenceLink.name)
    ).all()
    for object_id, name, sha, mtype, size in rows:
        out[object_id].append(
            {"name": name, "sha256": sha, "media_type": mtype, "size": size, "url": f"/api/v1/evidence/{sha}"}
        )
    return out


#: Where the pages link a stored file: through the page's record (`reviews/evidence_views.py`), never by
#: its bare SHA-256, so a file is served only to a viewer who may see that record.
PAGE_PREFIX = "/ops/evidence"


def page_files(kind: str, record_id: int, object_type: str, object_id: int) -> list[dict[str, object]]:
    """The files of one stored record as a page links them, through the page record `kind`/`record_id`,
    each marked image or video (the vendor's clip is a link, photos are shown)."""
    return [
        {
            "name": f["name"],
            "media_type": f["media_type"],
            "image": str(f["media_type"]).startswith("image/"),
            "video": str(f["media_type"]).startswith("video/"),
            "url": f"{PAGE_PREFIX}/{kind}/{record_id}/{f['sha256']}",
        }
        for f in links_for(object_type, [object_id])[object_id]
    ]


def owns_file(pairs: list[tuple[str, int]], sha256: str) -> bool:
    """Whether the stored file `sha256` is linked to one of the records `pairs` ((object type, id))."""
    if not pairs:
        return False
    stmt = (
        select(EvidenceLink.id)
        .join(EvidenceFile, EvidenceFile.id == EvidenceLink.evidence_file_id)
        .where(EvidenceFile.sha256 == sha256.lower())
        .where(tuple_(EvidenceLink.object_type, EvidenceLink.object_id).in_(pairs))
        .limit(1)
    )
    return db.session.scalar(stmt) is not None


def read(sha256: str) -> tuple[bytes, str]:
    """Return the bytes and media type of a stored evidence file."""
    row = db.session.scalar(select(EvidenceFile).where(EvidenceFile.sha256 == sha256.lower()))
    if row is None:
        raise NotFound("no such evidence file")
    path = path_for(row.sha256)
    if not path.exists():
        raise NotFound("evidence file is missing from storage")
    return path.read_bytes(), row.media_type


def forget_dropped_passes(connection: Connection, partition: str) -> Callable[[], None] | None:
    """Retention drops a month of passes (`core/retention.on_drop`, in its transaction, before the drop):
    their evidence links go, and so do the evidence files no other record links to; the files leave the
    disk once that committed (the returned action)."""
    file_ids = set(
        connection.execute(
            text(
                f'DELETE FROM evidence_links WHERE object_type = :kind AND object_id IN (SELECT id FROM "{partition}") '  # noqa: S608  (a partition name from the catalogue)
                "RETURNING evidence_file_id"
            ),
            {"kind": "remote_sensing_pass"},
        ).scalars()
    )
    if not file_ids:
        return None
    unused = list(
        connection.execute(
            delete(EvidenceFile)
            .where(EvidenceFile.id.in_(file_ids), ~exists().where(EvidenceLink.evidence_file_id == EvidenceFile.id))
            .returning(EvidenceFile.sha256)
        ).scalars()
    )
    paths = [path_for(sha) for sha in unused]

    def remove_files() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    return remove_files
