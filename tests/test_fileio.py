from pathlib import Path

import pytest

from robolearn.fileio import atomic_write_bytes, atomic_write_text, replace_dir


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.json"
    atomic_write_text(path, "one")
    atomic_write_bytes(path, b"two")
    assert path.read_text() == "two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    atomic_write_text(path, "old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_replace_dir_swaps_whole_folders(tmp_path: Path) -> None:
    final = tmp_path / "state"
    for version in ("v1", "v2"):
        tmp = tmp_path / f".state.tmp-{version}"
        tmp.mkdir()
        (tmp / "weights").write_text(version)
        assert replace_dir(tmp, final) == final
        assert (final / "weights").read_text() == version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"]


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what open() gives under this process's umask
    path = tmp_path / "atomic.txt"
    atomic_write_text(path, "x")  # mkstemp alone would leave 0o600: unreadable by the group
    assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
