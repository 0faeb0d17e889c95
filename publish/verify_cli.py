"""`dam publish verify`: check a published gallery against its signed SHA-256 manifest."""

from __future__ import annotations

from pathlib import Path

import click

from dam.cli import get_settings
from dam.config import Settings
from dam.errors import DamError
from publish.credentials import CredentialsReport, read_credentials
from publish.manifest import VerifyReport, verify_gallery

_LISTED = 20  # names shown per kind of problem; the count is always given
_JPEG_SUFFIXES = (".jpg", ".jpeg")


def gallery_folder(settings: Settings) -> Path:
    """The live site of a folder gallery target: ``<target>/current`` if there, else the target."""
    target = settings.gallery_target
    if "://" in target:
        raise DamError(f"the gallery target {target} is not a folder: copy the site to a folder "
                       "(e.g. `aws s3 sync`) and give its path")
    current = Path(target) / "current"
    return current if current.is_dir() else Path(target)


def _echo_list(title: str, names: list[str]) -> None:
    if not names:
        return
    click.echo(f"{title}: {len(names)}")
    for name in names[:_LISTED]:
        click.echo(f"  {name}")
    if len(names) > _LISTED:
        click.echo(f"  ... and {len(names) - _LISTED} more")


def _echo_report(report: VerifyReport) -> None:
    click.echo(f"gallery: {report.folder}")
    click.echo(f"site: {report.site or '-'}  generated: {report.generated_at or '-'}")
    if report.signature_valid:
        click.echo("signature: valid")
        if report.key_from_folder:
            click.echo("  (checked with the public key published in the folder: this shows the "
                       "files match the manifest; pass --public-key with the office's key to "
                       "also check who signed it)")
    else:
        click.secho(f"signature: INVALID: {report.signature_problem}", fg="red")
    click.echo(f"files in the manifest: {report.checked}")
    _echo_list("missing", report.missing)
    _echo_list("changed", report.changed)
    _echo_list("not in the manifest", report.extra)


def _check_credentials(folder: Path, trust_anchors: bytes | None) -> list[str]:
    """Problems found reading every JPEG's content credentials (files without any included)."""
    problems = []
    jpegs = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _JPEG_SUFFIXES)
    for path in jpegs:
        found: CredentialsReport = read_credentials(path.read_bytes(), "image/jpeg",
                                                    trust_anchors=trust_anchors)
        name = path.relative_to(folder).as_posix()
        if not found.present:
            problems.append(f"{name}: no content credentials")
        elif not found.ok:
            problems.append(f"{name}: {found.state}: {'; '.join(found.errors)}")
    click.echo(f"content credentials: {len(jpegs)} JPEG files read, {len(problems)} with problems")
    return problems


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--public-key", "public_key",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The office's Ed25519 public key (PEM). Default: the one in the folder.")
@click.option("--c2pa", "check_c2pa", is_flag=True,
              help="Also read every JPEG's C2PA content credentials.")
@click.option("--trust-anchors", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --c2pa: PEM CA certificates the credentials' signer must chain to.")
@click.pass_context
def verify(ctx: click.Context, folder: Path | None, public_key: Path | None, check_c2pa: bool,
           trust_anchors: Path | None) -> None:
    """Check a gallery's files against its signed manifest; exit 1 on any problem.

    FOLDER defaults to the live gallery (`<gallery_target>/current`).
    """
    if folder is None:
        folder = gallery_folder(get_settings(ctx))
    key = public_key.read_bytes() if public_key else None
    report = verify_gallery(folder, key)
    _echo_report(report)
    problems = []
    if check_c2pa:
        anchors = trust_anchors.read_bytes() if trust_anchors else None
        problems = _check_credentials(folder, anchors)
        _echo_list("content credentials problems", problems)
    if report.ok and not problems:
        click.secho("OK: every file matches the signed manifest", fg="green")
        return
    click.secho("FAILED: the gallery does not match its signed manifest"
                if not report.ok else "FAILED: content credentials", fg="red", err=True)
    ctx.exit(1)
