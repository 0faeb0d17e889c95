"""The upload page, the list of batches and each batch's page (thumbnails as they are ready)."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template

from dam.models import Batch
from web.access import can_see_batch, sees_all_batches
from web.queries import batch_files, get_batch, list_batches
from web.state import get_ctx

bp = Blueprint("upload", __name__)

PARALLEL_UPLOADS = 3


def visible_batch(batch_id: int) -> Batch:
    """The batch, or 404 when it does not exist or belongs to another photographer."""
    batch = get_batch(get_ctx().catalog, batch_id)
    if batch is None or not can_see_batch(g.user, batch):
        abort(404)
    return batch


@bp.get("/subir")
def page() -> str:
    settings = get_ctx().settings
    return render_template("upload.html", chunk_size=settings.upload_chunk_bytes,
                           max_bytes=settings.upload_max_bytes, parallel=PARALLEL_UPLOADS)


@bp.get("/cargas")
def batches() -> str:
    user_id = None if sees_all_batches(g.user) else g.user.id
    return render_template("batches.html", batches=list_batches(get_ctx().catalog, user_id))


@bp.get("/cargas/<int:batch_id>")
def batch(batch_id: int) -> str:
    found = visible_batch(batch_id)
    return render_template("batch.html", batch=found,
                           files=batch_files(get_ctx().catalog, batch_id))
