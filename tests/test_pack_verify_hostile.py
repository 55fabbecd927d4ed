"""`verify` against hostile packs: symlinks, unlisted folders, zips, malformed manifests (issue 11, item 15)."""

import json
import shutil
import zipfile

import pytest
from conftest import run_cli
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultlab.evidence.manifest import verify_pack, write_manifest


@pytest.fixture
def keys(tmp_path):
    key = Ed25519PrivateKey.generate()
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _pack(tmp_path, name="soc2-2026-10"):
    folder = tmp_path / "reports" / name
    (folder / "evidence").mkdir(parents=True)
    (folder / "report.html").write_text("<html>report</html>\n")
    (folder / "evidence" / "rotation_status.csv").write_text("secret_id,status\nsecret/a,overdue\n")
    return folder


def _not_intact(pack, *expected, public=None):
    result = verify_pack(pack, public_key=public)
    assert not result.intact, result.problems()
    for line in expected:
        assert line in result.problems(), result.problems()
    args = ["verify", str(pack)] + (["--public-key", str(public)] if public else [])
    cli = run_cli(*args)
    assert cli.returncode == 1 and "Traceback" not in cli.stderr, cli.stderr
    for line in expected:
        assert line in cli.stdout.splitlines()


def test_a_symlinked_folder_of_forged_csvs_in_a_signed_pack(tmp_path, keys):
    private, public = keys
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "rotation_status.csv").write_text("secret_id,status\nsecret/a,ok\n")
    pack = _pack(tmp_path)
    shutil.copy(pack / "evidence" / "rotation_status.csv", forged / "rotation_status.csv")  # same bytes
    write_manifest(pack, {"run_id": "r"}, sign_key=private)
    shutil.rmtree(pack / "evidence")
    (pack / "evidence").symlink_to(forged)
    _not_intact(pack, "symlink: evidence", public=public)


def test_a_file_replaced_by_a_symlink_to_an_identical_copy_outside(tmp_path, keys):
    private, public = keys
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"}, sign_key=private)
    outside = tmp_path / "copy.html"
    shutil.copy(pack / "report.html", outside)
    (pack / "report.html").unlink()
    (pack / "report.html").symlink_to(outside)
    _not_intact(pack, "symlink: report.html", public=public)


def test_an_empty_folder_is_unlisted(tmp_path, keys):
    private, public = keys
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"}, sign_key=private)
    (pack / "evidence" / "hidden").mkdir()
    _not_intact(pack, "unlisted folder: evidence/hidden", public=public)


def test_a_manifest_naming_a_file_through_a_symlink_to_etc_reads_nothing_outside(tmp_path):
    pack = _pack(tmp_path)
    (pack / "evidence" / "etc").symlink_to("/etc")
    import hashlib
    digest = hashlib.sha256(open("/etc/passwd", "rb").read()).hexdigest()
    manifest = {"format": "vaultlab-evidence-pack/1", "files": {
        "report.html": {"sha256": hashlib.sha256((pack / "report.html").read_bytes()).hexdigest()},
        "evidence/rotation_status.csv": {
            "sha256": hashlib.sha256((pack / "evidence" / "rotation_status.csv").read_bytes()).hexdigest()},
        "evidence/etc/passwd": {"sha256": digest}}}
    (pack / "manifest.json").write_text(json.dumps(manifest))
    _not_intact(pack, "symlink: evidence/etc", "missing: evidence/etc/passwd")


@pytest.mark.parametrize("text", ["not json", "[]", '{"files": []}', '{"files": {"a": 5}}', '{"nofiles": 1}',
                                  '{"files": {"report.html": {"sha256": null}}}', "[" * 100000])
def test_a_malformed_manifest_is_a_finding_not_a_traceback(tmp_path, text):
    pack = _pack(tmp_path)
    (pack / "manifest.json").write_text(text)
    result = verify_pack(pack)
    assert not result.intact
    cli = run_cli("verify", str(pack))
    assert cli.returncode == 1, cli.stderr
    assert "Traceback" not in cli.stderr and cli.stdout.strip()


def _zip(pack):
    archive = shutil.make_archive(str(pack), "zip", root_dir=pack.parent, base_dir=pack.name)
    return pack.parent / (pack.name + ".zip") if archive else None


def test_an_intact_zip_verifies_with_its_signature(tmp_path, keys):
    private, public = keys
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"}, sign_key=private)
    archive = _zip(pack)
    shutil.rmtree(pack)  # the zip alone is checked, not the folder beside it
    result = verify_pack(archive, public_key=public)
    assert result.intact and result.signature == "valid", result.problems()
    cli = run_cli("verify", str(archive), "--public-key", str(public))
    assert cli.returncode == 0 and "intact, signature valid" in cli.stdout


def _rewrite_zip(archive, extra):
    with zipfile.ZipFile(archive, "a") as zf:
        for name, data in extra.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("name, finding", [
    ("../evil.txt", "unsafe name in the archive: '../evil.txt'"),
    ("/tmp/evil.txt", "unsafe name in the archive: '/tmp/evil.txt'"),
    ("soc2-2026-10/evidence/../../evil.txt", "unsafe name in the archive: 'soc2-2026-10/evidence/../../evil.txt'"),
    ("soc2-2026-10/evidence/extra.csv", "added: evidence/extra.csv"),
    ("soc2-2026-10/empty/", "unlisted folder: empty"),
])
def test_a_zip_with_an_unlisted_or_escaping_entry(tmp_path, name, finding):
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"})
    archive = _zip(pack)
    _rewrite_zip(archive, {name: "" if name.endswith("/") else "smuggled\n"})
    _not_intact(archive, finding)


def test_a_zip_with_a_changed_or_missing_entry(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"})
    (pack / "report.html").write_text("<html>forged</html>\n")
    (pack / "evidence" / "rotation_status.csv").unlink()
    _not_intact(_zip(pack), "changed: report.html", "missing: evidence/rotation_status.csv")


def test_a_zip_with_a_symlink_entry(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"})
    archive = _zip(pack)
    info = zipfile.ZipInfo("soc2-2026-10/evidence/link")
    info.external_attr = (0o120777 << 16)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(info, "/etc/passwd")
    _not_intact(archive, "symlink: soc2-2026-10/evidence/link")


def test_a_symlinked_manifest_or_signature_is_a_finding(tmp_path, keys):
    private, public = keys
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"}, sign_key=private)
    for name in ("manifest.json.sig", "manifest.json"):
        outside = tmp_path / f"outside-{name}"
        shutil.move(pack / name, outside)
        (pack / name).symlink_to(outside)
    _not_intact(pack, "symlink: manifest.json", public=public)
    assert "symlink: manifest.json.sig" in verify_pack(pack).problems()


def test_a_zip_with_two_top_folders(tmp_path):
    pack = _pack(tmp_path)
    write_manifest(pack, {"run_id": "r"})
    archive = _zip(pack)
    _rewrite_zip(archive, {"other/evidence/rotation_status.csv": "forged\n"})
    _not_intact(archive, "the archive holds more than one top folder: other, soc2-2026-10")
