"""A chain of packs: each manifest records its previous pack's manifest; `verify --chain` names
each removed, edited, reordered or missing pack. Chain logic on small packs sealed with
write_manifest; one real pack rendered by make_pack."""

import hashlib
import json
import shutil

import pytest
from conftest import load_synth_month, run_cli
from test_pack_verify import _keys

from vaultlab import VaultlabError, Warehouse
from vaultlab.evidence.chain import FIRST, previous_link, previous_period, verify_chain
from vaultlab.evidence.manifest import verify_pack, write_manifest

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]


def _seal(out, framework, period, **link):
    """A small pack <out>/<framework>-<period>, linked as make_pack links it (or as `link` says)."""
    pack = out / f"{framework}-{period}"
    (pack / "evidence").mkdir(parents=True)
    (pack / "report.html").write_text(f"<html><body>{framework} {period}</body></html>\n")
    (pack / "evidence" / "rotation_status.csv").write_text(f"secret_id,status\nsecret/{period},ok\n")
    details = {"run_id": f"run-{period}", "parameters": {"framework": framework, "period": period},
               **previous_link(out, framework, period), **link}
    write_manifest(pack, details)
    return pack


def _sha(pack):
    return hashlib.sha256((pack / "manifest.json").read_bytes()).hexdigest()


@pytest.fixture
def chain(tmp_path):
    out = tmp_path / "packs"
    out.mkdir()
    for month in MONTHS:
        _seal(out, "soc2", month)
    return out


def _findings(folder):
    return verify_chain(folder).findings


def test_periods_before():
    assert [previous_period(p) for p in ("2026-01", "2026-10", "2026-Q1", "2026-Q3", "2026")] == [
        "2025-12", "2026-09", "2025-Q4", "2026-Q2", "2025"]
    with pytest.raises(VaultlabError):
        previous_period("2026-10-01..2026-10-15")


def test_each_manifest_records_its_previous_one(chain):
    first = json.loads((chain / "soc2-2026-07" / "manifest.json").read_text())
    assert first["previous_manifest_sha256"] is None and first["previous_reason"] == FIRST
    assert first["previous_pack"] == {"framework": "soc2", "period": "2026-06"}
    for before, month in zip(MONTHS, MONTHS[1:]):
        manifest = json.loads((chain / f"soc2-{month}" / "manifest.json").read_text())
        assert manifest["previous_manifest_sha256"] == _sha(chain / f"soc2-{before}")
        assert manifest["previous_pack"] == {"framework": "soc2", "period": before}
        assert manifest["previous_reason"] is None


def test_a_missing_previous_is_recorded_with_its_reason(chain):
    shutil.rmtree(chain / "soc2-2026-10")
    shutil.rmtree(chain / "soc2-2026-09")
    link = previous_link(chain, "soc2", "2026-10")
    assert link["previous_manifest_sha256"] is None
    assert link["previous_reason"] == f"no pack for 2026-09 in {chain}"
    assert previous_link(chain, "hipaa", "2026-10")["previous_reason"] == FIRST  # another framework's chain
    assert previous_link(chain, "soc2", "2026-Q4")["previous_reason"] == FIRST  # another cadence's chain
    # only the zip of 2026-08 is left: the link is to the manifest inside it
    shutil.make_archive(str(chain / "soc2-2026-08"), "zip", root_dir=chain, base_dir="soc2-2026-08")
    sha = _sha(chain / "soc2-2026-08")
    shutil.rmtree(chain / "soc2-2026-08")
    assert previous_link(chain, "soc2", "2026-09")["previous_manifest_sha256"] == sha
    # a zip is read only under its own top folder
    shutil.make_archive(str(chain / "soc2-2026-06"), "zip", root_dir=chain.parent, base_dir="packs/soc2-2026-07")
    assert previous_link(chain, "soc2", "2026-07")["previous_manifest_sha256"] is None


def test_a_whole_chain_verifies(chain):
    report = verify_chain(chain)
    assert report.whole and (report.packs, report.chains) == (4, 1)
    result = run_cli("verify", "--chain", str(chain))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{chain}: 4 pack(s) in 1 chain(s), whole"]


def test_the_zips_beside_the_folders_are_the_same_packs(chain):
    for month in MONTHS:
        shutil.make_archive(str(chain / f"soc2-{month}"), "zip", root_dir=chain, base_dir=f"soc2-{month}")
    (chain / ".soc2-2026-11.partial-x").mkdir()  # a render under way is not a pack yet
    (chain / "notes.txt").write_text("filed with the auditor\n")
    report = verify_chain(chain)
    assert report.whole and (report.packs, report.chains) == (8, 1)
    # the folder of 2026-09 is sealed again with one more file: its zip is no longer the same pack
    (chain / "soc2-2026-09" / "late.csv").write_text("added after the fact\n")
    write_manifest(chain / "soc2-2026-09", json.loads((chain / "soc2-2026-09" / "manifest.json").read_text()))
    kinds = [(k, p) for k, p, _ in _findings(chain)]
    assert kinds == [("break", "soc2-2026-09")]  # 2026-10 recorded the manifest its zip still holds
    assert _findings(chain)[0][2] == "soc2-2026-09, soc2-2026-09.zip are the same period with different manifests"


def test_a_removed_pack_is_a_gap(chain):
    shutil.rmtree(chain / "soc2-2026-08")
    assert _findings(chain) == [("gap", "soc2-2026-09", "no soc2 pack for 2026-08 in this folder")]
    shutil.rmtree(chain / "soc2-2026-09")
    assert _findings(chain) == [("gap", "soc2-2026-10", "no soc2 pack for 2026-08..2026-09 in this folder")]
    result = run_cli("verify", "--chain", str(chain))
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["gap: soc2-2026-10: no soc2 pack for 2026-08..2026-09 in this folder"]
    assert f"{chain}: 2 pack(s) in 1 chain(s), NOT whole (1 finding(s))" in result.stderr


def test_a_removed_first_pack_leaves_a_recorded_previous_absent(chain):
    shutil.rmtree(chain / "soc2-2026-07")
    assert _findings(chain) == [
        ("gap", "soc2-2026-08", "its recorded previous, the soc2 pack of 2026-07, is not in this folder")]


def test_an_edited_previous_manifest_is_a_break(chain):
    before = _sha(chain / "soc2-2026-08")
    manifest = json.loads((chain / "soc2-2026-08" / "manifest.json").read_text())
    (chain / "soc2-2026-08" / "report.html").write_text("<html><body>a kinder report</body></html>\n")
    write_manifest(chain / "soc2-2026-08", {k: v for k, v in manifest.items() if k not in ("files", "format")})
    assert verify_pack(chain / "soc2-2026-08").intact  # re-sealed: its own digests agree again
    after = _sha(chain / "soc2-2026-08")
    assert _findings(chain) == [("break", "soc2-2026-09", f"the manifest of soc2-2026-08 is not the one it "
                                 f"recorded (SHA-256 {before[:12]}…, now {after[:12]}…): edited or rendered again")]


def test_an_edited_file_is_named_and_the_chain_still_checked(chain):
    (chain / "soc2-2026-07" / "report.html").write_text("<html><body>edited</body></html>\n")
    assert _findings(chain) == [("not intact", "soc2-2026-07", "changed: report.html")]


def test_swapped_packs_are_reordered(chain):
    (chain / "soc2-2026-08").rename(chain / "swap")
    (chain / "soc2-2026-09").rename(chain / "soc2-2026-08")
    (chain / "swap").rename(chain / "soc2-2026-09")
    assert _findings(chain) == [("reordered", "soc2-2026-08", "holds the soc2 pack of 2026-09 (renamed)"),
                                ("reordered", "soc2-2026-09", "holds the soc2 pack of 2026-08 (renamed)")]


def test_a_previous_of_a_later_period_or_another_framework_is_reordered(chain):
    shutil.rmtree(chain / "soc2-2026-10")
    _seal(chain, "soc2", "2026-10", previous_pack={"framework": "soc2", "period": "2026-11"})
    _seal(chain, "hipaa", "2026-07", previous_pack={"framework": "soc2", "period": "2026-06"})
    assert _findings(chain) == [
        ("reordered", "hipaa-2026-07", "records as its previous the soc2 pack of 2026-06; "
                                       "expected the hipaa pack of 2026-06"),
        ("reordered", "soc2-2026-10", "records as its previous the soc2 pack of 2026-11; "
                                      "expected the soc2 pack of 2026-09")]


def test_a_pack_made_while_its_previous_was_missing_is_a_gap(chain):
    shutil.rmtree(chain / "soc2-2026-10")
    aside = chain.parent / "aside"
    (chain / "soc2-2026-09").rename(aside)
    _seal(chain, "soc2", "2026-10")  # made while 2026-09 was away
    aside.rename(chain / "soc2-2026-09")
    assert _findings(chain) == [("gap", "soc2-2026-10", f"made without its previous pack (no pack for 2026-09 "
                                                        f"in {chain}), but soc2-2026-09 is here")]
    shutil.rmtree(chain / "soc2-2026-07")
    shutil.rmtree(chain / "soc2-2026-08")
    shutil.rmtree(chain / "soc2-2026-09")
    assert _findings(chain) == [("gap", "soc2-2026-10", f"made without a previous pack: no pack for 2026-09 "
                                                        f"in {chain}")]


def test_chains_per_framework_and_cadence_and_json(chain):
    for period in ("2026-Q2", "2026-Q3"):
        _seal(chain, "soc2", period)
    for month in MONTHS[:2]:
        _seal(chain, "hipaa", month)
    report = verify_chain(chain)
    assert report.whole and (report.packs, report.chains) == (8, 3)
    shutil.rmtree(chain / "hipaa-2026-07")
    result = run_cli("verify", "--chain", str(chain), "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "folder": str(chain), "packs": 7, "chains": 3, "whole": False,
        "findings": [{"kind": "gap", "pack": "hipaa-2026-08",
                      "message": "its recorded previous, the hipaa pack of 2026-06, is not in this folder"
                      .replace("2026-06", "2026-07")}]}


def test_not_packs_and_bad_options(chain, tmp_path):
    (chain / "empty").mkdir()
    (chain / "soc2-2026-11.zip").write_bytes(b"not a zip")
    assert [(k, p) for k, p, _ in _findings(chain)] == [("not intact", "empty"), ("not intact", "soc2-2026-11.zip")]
    assert run_cli("verify", "--chain", str(tmp_path / "nowhere")).returncode != 0
    both = run_cli("verify", str(chain / "soc2-2026-07"), "--chain", str(chain))
    assert both.returncode != 0 and "one of them" in both.stderr
    assert run_cli("verify").returncode != 0
    json_one = run_cli("verify", str(chain / "soc2-2026-07"), "--format", "json")
    assert json_one.returncode != 0 and "--format json is for --chain DIR" in json_one.stderr


@pytest.fixture(scope="module")
def warehouse_db(tmp_path_factory, synth_small):
    out, _ = synth_small
    db = tmp_path_factory.mktemp("chain") / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    return db


def test_a_rendered_pack_links_to_its_previous_and_the_signature_covers_it(warehouse_db, tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    previous = _seal(out, "soc2", "2026-09")
    private, public = _keys(tmp_path, "signer")
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(out),
                     "--sign-key", str(private), db=warehouse_db)
    assert result.returncode == 0, result.stderr[-3000:]
    pack = out / "soc2-2026-10"
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["previous_manifest_sha256"] == _sha(previous)
    assert manifest["previous_pack"] == {"framework": "soc2", "period": "2026-09"}
    assert verify_pack(pack, public_key=public).signature == "valid"
    assert run_cli("verify", "--chain", str(out)).returncode == 0  # the folder, its zip, and 2026-09
    # the recorded link cannot be rewritten without the signature failing
    manifest["previous_manifest_sha256"] = "0" * 64
    (pack / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    assert verify_pack(pack, public_key=public).signature == "does not match the manifest under this public key"
    checked = run_cli("verify", "--chain", str(out), "--public-key", str(public))
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        "not intact: soc2-2026-09: signature: manifest.json.sig is missing",
        "not intact: soc2-2026-10: signature: does not match the manifest under this public key",
        "break: soc2-2026-10: soc2-2026-10, soc2-2026-10.zip are the same period with different manifests",
        f"break: soc2-2026-10: the manifest of soc2-2026-09 is not the one it recorded (SHA-256 000000000000…, "
        f"now {_sha(previous)[:12]}…): edited or rendered again"]


def test_a_hand_made_link_is_a_finding_not_a_crash(chain):
    shutil.rmtree(chain / "soc2-2026-10")
    _seal(chain, "soc2", "2026-10", previous_manifest_sha256=["\x1b[31m"])
    result = run_cli("verify", "--chain", str(chain))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout.startswith("break: soc2-2026-10: the manifest of soc2-2026-09 is not the one it recorded")
