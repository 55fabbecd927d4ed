"""Evidence pack integrity: verify names every changed, missing and added file; signatures."""

import json

import pytest
from conftest import run_cli
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vaultlab import VaultlabError
from vaultlab.evidence.manifest import verify_pack, write_manifest


def _keys(folder, name):
    key = Ed25519PrivateKey.generate()
    private = folder / f"{name}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = folder / f"{name}.pub.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def pack(tmp_path):
    folder = tmp_path / "pack"
    (folder / "evidence").mkdir(parents=True)
    (folder / "report.html").write_text("<html><body>report</body></html>\n")
    (folder / "controls.json").write_text('{"status": "alarm"}\n')
    (folder / "evidence" / "rotation_status.csv").write_text("secret_id,status\nsecret/a,overdue\n")
    return folder


def test_an_intact_pack_verifies(pack, tmp_path):
    private, public = _keys(tmp_path, "auditor")
    manifest = write_manifest(pack, {"run_id": "r1", "parameters": {"framework": "soc2"}}, sign_key=private)
    assert sorted(manifest["files"]) == ["controls.json", "evidence/rotation_status.csv", "report.html"]
    assert verify_pack(pack).intact
    assert verify_pack(pack, public_key=public).signature == "valid"
    result = run_cli("verify", str(pack), "--public-key", str(public))
    assert result.returncode == 0 and "intact, signature valid" in result.stdout


def test_one_byte_changed_a_file_removed_a_file_added(pack):
    write_manifest(pack, {"run_id": "r1"})
    csv = pack / "evidence" / "rotation_status.csv"
    data = bytearray(csv.read_bytes())
    data[-2] ^= 0x01  # one bit of one byte
    csv.write_bytes(bytes(data))
    (pack / "controls.json").unlink()
    (pack / "evidence" / "extra.csv").write_text("smuggled\n")
    result = verify_pack(pack)
    assert (result.changed, result.missing, result.added) == (
        ["evidence/rotation_status.csv"], ["controls.json"], ["evidence/extra.csv"])
    cli = run_cli("verify", str(pack))
    assert cli.returncode == 1
    assert cli.stdout.splitlines() == ["changed: evidence/rotation_status.csv", "missing: controls.json",
                                       "added: evidence/extra.csv"]


def test_signatures_by_another_key_or_over_an_edited_manifest_fail(pack, tmp_path):
    signer, _ = _keys(tmp_path, "signer")
    _, stranger = _keys(tmp_path, "stranger")
    _, signer_public = _keys(tmp_path, "unused")  # a valid key pair that did not sign
    write_manifest(pack, {"run_id": "r1"}, sign_key=signer)
    assert verify_pack(pack, public_key=stranger).signature == "does not match the manifest under this public key"
    assert not verify_pack(pack, public_key=signer_public).intact
    # re-hash a changed file into the manifest: the digests agree again, the signature does not
    (pack / "controls.json").write_text('{"status": "ok"}\n')
    manifest = json.loads((pack / "manifest.json").read_text())
    write_manifest(pack, {k: v for k, v in manifest.items() if k not in ("files", "format")})
    public = tmp_path / "signer.pub.pem"
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(signer.read_bytes(), password=None)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    assert verify_pack(pack).intact  # the digests alone cannot tell
    assert verify_pack(pack, public_key=public).signature == "does not match the manifest under this public key"
    (pack / "manifest.json.sig").unlink()
    assert verify_pack(pack, public_key=public).signature == "manifest.json.sig is missing"


def test_not_a_pack(tmp_path):
    with pytest.raises(VaultlabError, match="not an evidence pack"):
        verify_pack(tmp_path)
    result = run_cli("verify", str(tmp_path))
    assert result.returncode == 2 and "not an evidence pack" in result.stderr
