"""``cherrypy.kernel.entrypoints``: installed entry points are read once and shared.

The plugin manager and the compat table both read through :func:`iter_entry_points`; one
scan of ``sys.path`` serves every group until a directory on ``sys.path`` changes (a
distribution installed or removed while the process runs) or :func:`clear_cache` is called.
Names and versions come from the head of each distribution's metadata file, without the
full RFC 822 parse of :mod:`importlib.metadata`.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from cherrypy.kernel import entrypoints


def _install_dist_helper() -> Any:
    path = Path(__file__).parent / "fixtures" / "plugin_dists.py"
    spec = importlib.util.spec_from_file_location("cherrypy_kernel_test_plugin_dists", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.install_dist


install_dist = _install_dist_helper()


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the scans of ``sys.path``."""
    count = [0]
    real = entrypoints._scan

    def counting() -> Any:
        count[0] += 1
        return real()

    monkeypatch.setattr(entrypoints, "_scan", counting)
    entrypoints.clear_cache()
    yield count
    entrypoints.clear_cache()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory at the front of ``sys.path``."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def touch_later(folder: Path) -> None:
    """Move ``folder``'s modification time on, as an install a moment later would."""
    mtime = folder.stat().st_mtime_ns + 2_000_000_000
    os.utime(folder, ns=(mtime, mtime))


def names(group: str) -> set[str]:
    return {entry_point.name for entry_point in entrypoints.iter_entry_points(group)}


def test_one_scan_serves_every_group_and_every_caller(scans: list[int], site: Path) -> None:
    install_dist(
        site,
        "cherrypy-ep-one",
        "1.2",
        plugins={"ep_one": "ep_one.plugin"},
        compat={"cherrypy.tools.ep_one": "ep_one.plugin:TOOL"},
    )
    assert "ep_one" in names("cherrypy.plugins")
    assert "cherrypy.tools.ep_one" in names("cherrypy.compat")
    assert names("cherrypy.plugins") == names("cherrypy.plugins")
    assert entrypoints.distribution_version("cherrypy-ep-one") == "1.2"
    assert scans[0] == 1


def test_callers_get_their_own_list(scans: list[int], site: Path) -> None:
    install_dist(site, "cherrypy-ep-list", "1.0", plugins={"ep_list": "ep_list.plugin"})
    first = entrypoints.iter_entry_points("cherrypy.plugins")
    first.clear()
    assert "ep_list" in names("cherrypy.plugins")


def test_a_distribution_installed_later_is_seen(scans: list[int], site: Path) -> None:
    assert "ep_late" not in names("cherrypy.plugins")
    install_dist(site, "cherrypy-ep-late", "2.0", plugins={"ep_late": "ep_late.plugin"})
    touch_later(site)
    assert "ep_late" in names("cherrypy.plugins")
    assert scans[0] == 2


def test_a_removed_distribution_is_forgotten(scans: list[int], site: Path) -> None:
    dist_info = install_dist(site, "cherrypy-ep-gone", "1.0", plugins={"ep_gone": "g.plugin"})
    assert "ep_gone" in names("cherrypy.plugins")
    for path in dist_info.iterdir():
        path.unlink()
    dist_info.rmdir()
    touch_later(site)
    assert "ep_gone" not in names("cherrypy.plugins")


def test_a_changed_sys_path_is_scanned_again(
    scans: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    install_dist(other, "cherrypy-ep-path", "1.0", plugins={"ep_path": "p.plugin"})
    assert "ep_path" not in names("cherrypy.plugins")
    monkeypatch.syspath_prepend(str(other))
    assert "ep_path" in names("cherrypy.plugins")


def test_clear_cache_reads_again(scans: list[int], site: Path) -> None:
    names("cherrypy.plugins")
    entrypoints.clear_cache()
    names("cherrypy.plugins")
    assert scans[0] == 2


def test_name_and_version_come_from_the_metadata_head(scans: list[int], site: Path) -> None:
    dist_info = install_dist(site, "Cherrypy.EP-Head", "3.1.4", plugins={"ep_head": "h.plugin"})
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Cherrypy.EP-Head\nVersion: 3.1.4\n"
        "Summary: x\n\nName: not-this\nVersion: 0\n"
    )
    [entry_point] = [
        ep for ep in entrypoints.iter_entry_points("cherrypy.plugins") if ep.name == "ep_head"
    ]
    dist = entry_point.dist
    assert dist is not None
    assert (dist.name, dist.version) == ("Cherrypy.EP-Head", "3.1.4")
    assert "metadata" not in vars(dist)  # the email parser did not run
    assert dist.metadata["Summary"] == "x"  # the full metadata is still there when asked
    assert entrypoints.distribution_version("cherrypy-ep-head") == "3.1.4"


def test_unusual_metadata_falls_back_to_importlib_metadata(scans: list[int], site: Path) -> None:
    dist_info = install_dist(site, "cherrypy-ep-folded", "1.0", plugins={"ep_folded": "f.p"})
    # A header folded over two lines: not read by the quick path, so importlib.metadata
    # parses it (and unfolds it as RFC 822 says).
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName:\n cherrypy-ep-folded\n")
    [entry_point] = [
        ep for ep in entrypoints.iter_entry_points("cherrypy.plugins") if ep.name == "ep_folded"
    ]
    assert entry_point.dist is not None
    assert entry_point.dist.name.strip() == "cherrypy-ep-folded"


def test_the_first_copy_on_sys_path_wins(
    scans: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    install_dist(early, "cherrypy-ep-twice", "2.0", plugins={"ep_twice": "new.plugin"})
    install_dist(late, "cherrypy-ep-twice", "1.0", plugins={"ep_twice": "old.plugin"})
    monkeypatch.syspath_prepend(str(late))
    monkeypatch.syspath_prepend(str(early))
    found = [
        ep for ep in entrypoints.iter_entry_points("cherrypy.plugins") if ep.name == "ep_twice"
    ]
    assert [ep.value for ep in found] == ["new.plugin"]
    assert entrypoints.distribution_version("cherrypy-ep-twice") == "2.0"


def test_the_scan_finds_what_importlib_metadata_finds(scans: list[int], site: Path) -> None:
    install_dist(site, "cherrypy-ep-same", "1.0", plugins={"ep_same": "same.plugin"})
    for group in ("cherrypy.plugins", "cherrypy.compat", "console_scripts"):
        ours = [
            (ep.name, ep.value, ep.dist and ep.dist.name)
            for ep in entrypoints.iter_entry_points(group)
        ]
        theirs = [
            (ep.name, ep.value, ep.dist and ep.dist.name)
            for ep in metadata.entry_points(group=group)
        ]
        assert ours == theirs, group


def test_distributions_in_a_zip_file_are_read(
    scans: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    archive = tmp_path / "dists.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(
            "cherrypy_ep_zip-1.5.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: cherrypy-ep-zip\nVersion: 1.5\n",
        )
        zipped.writestr(
            "cherrypy_ep_zip-1.5.dist-info/entry_points.txt",
            "[cherrypy.plugins]\nep_zip = ep_zip.plugin\n",
        )
    monkeypatch.syspath_prepend(str(archive))
    assert "ep_zip" in names("cherrypy.plugins")
    assert entrypoints.distribution_version("cherrypy-ep-zip") == "1.5"


def test_the_installed_kernel_is_found() -> None:
    entrypoints.clear_cache()
    assert entrypoints.distribution_version("cherrypy-kernel") == metadata.version(
        "cherrypy-kernel"
    )
    assert entrypoints.distribution_version("no-such-distribution") is None
