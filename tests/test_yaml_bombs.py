"""YAML alias bombs and oversized files are refused, with one line and exit 2 (issue 11, item 17)."""

import pytest
from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.controls.accepted_risks import load_accepted_risks as load_exceptions
from vaultlab.controls.catalog import load_framework
from vaultlab.errors import VaultlabError


def _bomb(levels=6, width=9):  # 9**6 strings: small enough that the pre-fix run fails fast
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    return path


def test_an_alias_bomb_as_an_exceptions_file(tmp_path, db):
    path = tmp_path / "exceptions.yaml"
    path.write_text(_bomb() + "exceptions:\n  - check: rotation_overdue\n    resource: '*'\n    reason: *l5\n"
                    "    approver: a\n    ticket: T-1\n    expires: 2099-01-01\n")
    assert path.stat().st_size < 2048
    with pytest.raises(VaultlabError, match="aliases"):
        load_exceptions(path)
    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--exceptions", str(path), db=db)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "aliases" in result.stderr


def test_an_alias_bomb_as_an_inventory_field(tmp_path, db):
    path = tmp_path / "inventory.yaml"
    path.write_text(_bomb() + "secrets:\n  - name: secret/a\n    owner: *l5\n")
    result = run_cli("inventory", "load", str(path), db=db)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "aliases" in result.stderr and "line 2," in result.stderr


def test_deep_nesting_and_merge_keys_are_refused_too(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 5000 + "]" * 5000)
    merge = tmp_path / "merge.yaml"
    merge.write_text("base: &b {check: x}\nexceptions:\n  - <<: *b\n")
    for path in (deep, merge):
        with pytest.raises(VaultlabError, match="not valid YAML"):
            load_exceptions(path)


def test_an_oversized_yaml_file_is_refused_before_it_is_parsed(tmp_path, db, monkeypatch):
    from vaultlab.controls import accepted_risks

    monkeypatch.setattr(accepted_risks, "MAX_ACCEPTED_RISKS_BYTES", 100)
    path = tmp_path / "exceptions.yaml"
    path.write_text("exceptions: []\n" + "#" * 200 + "\n")
    with pytest.raises(VaultlabError, match="at most 100"):
        load_exceptions(path)


def test_plain_yaml_still_loads(tmp_path):
    path = tmp_path / "exceptions.yaml"
    path.write_text("exceptions:\n  - check: rotation_overdue\n    resource: 'secret/*'\n    reason: accepted\n"
                    "    approver: a\n    ticket: T-1\n    expires: 2099-01-01\n")
    [exception] = load_exceptions(path)
    assert exception.expires.year == 2099
    assert load_framework("soc2").requirements
