"""The handover bag under an S3 prefix (a real moto server over HTTP): streamed, multipart for
large originals, resumable, verifiable, with earlier file versions."""

from __future__ import annotations

import hashlib
import os
import re

from click.testing import CliRunner

from dam.context import Context
from storage.s3 import S3Store
from tests.conftest_s3 import make_test_client
from tests.handover.archive import add_asset, build_archive, cli
from tests.handover.test_versions_handover import _replace

BIG = 17 * 1024 * 1024  # above the 16 MiB multipart threshold


def run(ctx: Context, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), ["handover", *args], obj={"context": ctx})
    return result.exit_code, result.output


def test_export_to_an_s3_prefix_and_verify_it(ctx: Context, s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = s3_bucket
    ids = build_archive(ctx)
    _replace(ctx, ids["a"])
    big = os.urandom(BIG)
    add_asset(ctx, big, "video_grande.mov")
    url = f"s3://{bucket}/entregas/2027"
    code, out = run(ctx, "export", url, "--quiet", "--with-renditions", "--s3-endpoint", endpoint)
    assert code == 0, out
    assert "6 assets" in out
    target = S3Store(bucket, "entregas/2027", endpoint_url=endpoint)
    keys = {info.key for info in target.list()}
    assert {"bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
            "LEEME.txt", "data/catalogo/catalogo.json"} <= keys
    assert ".acervo-sender" not in keys
    versions = [k for k in keys if "/versiones/" in k]
    assert versions == ["data/originales/2025/03/Jornada de salud/versiones/"
                        "IMG_0001_editada.JPG/v1-IMG_0001.JPG"]
    assert target.read_bytes(versions[0]) == b"first picture" * 100
    big_key = next(k for k in keys if k.endswith("video_grande.mov"))
    head = make_test_client(endpoint).head_object(Bucket=bucket, Key=f"entregas/2027/{big_key}")
    assert head["ETag"].strip('"').endswith("-3")  # uploaded in 8 MiB parts
    assert head["Metadata"]["sha256"] == hashlib.sha256(big).hexdigest()
    code, out = run(ctx, "verify", url, "--s3-endpoint", endpoint)
    assert code == 0, out
    assert "valid" in out
    # Damage is found: same size, other bytes.
    target.put_bytes(versions[0], b"X" * len(b"first picture" * 100))
    code, out = run(ctx, "verify", url, "--s3-endpoint", endpoint)
    assert code == 1 and "SHA-256 differs" in out


def test_an_interrupted_s3_export_resumes(ctx: Context, s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = s3_bucket
    ids = build_archive(ctx)
    url = f"s3://{bucket}/entrega"
    target = S3Store(bucket, "entrega", endpoint_url=endpoint)
    # The export stops at an original missing from the store...
    with ctx.catalog.read() as session:
        from dam.models import Asset
        late_key = session.get(Asset, ids["late"]).original_key
    saved = ctx.store.read_bytes(late_key)
    ctx.store.delete(late_key)
    code, out = run(ctx, "export", url, "--quiet", "--s3-endpoint", endpoint)
    assert code == 1 and "missing" in out
    assert "bagit.txt" not in {i.key for i in target.list()}
    first = {i.key: i.modified for i in target.list("data/originales/")}
    assert first  # some originals were uploaded before it stopped
    # ... and a second run, once the original is back, skips what is there.
    ctx.store.put_bytes(late_key, saved)
    code, out = run(ctx, "export", url, "--quiet", "--s3-endpoint", endpoint)
    assert code == 0, out
    uploaded = [k for k in first if not k.endswith(".xmp")]
    skipped = int(re.search(r"\((\d+) already in place\)", out).group(1))
    assert skipped == len(uploaded) > 0  # nothing uploaded twice
    again = {i.key: i.modified for i in target.list("data/originales/")}
    assert all(again[k] == first[k] for k in uploaded)
    code, out = run(ctx, "verify", url, "--s3-endpoint", endpoint)
    assert code == 0, out


def test_a_prefix_holding_something_else_is_refused(ctx: Context,
                                                     s3_bucket: tuple[str, str]) -> None:
    endpoint, bucket = s3_bucket
    build_archive(ctx)
    S3Store(bucket, "otra", endpoint_url=endpoint).put_bytes("notas.txt", b"x")
    code, out = run(ctx, "export", f"s3://{bucket}/otra", "--quiet", "--s3-endpoint", endpoint)
    assert code == 1 and "holds no bag" in out
