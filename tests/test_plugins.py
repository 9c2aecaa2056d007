# tests/test_plugins.py
# The plugin registry through dc.plugins: discovery, rejections, trust, unload, hot reload, health.
"""Every refused plugin raises dc.PluginError naming the cause, is listed by dc.plugins.rejected(),
and leaves the process working. The plugins come from tests/plugins (built here with CMake); all of
them call their backend "testbackend", so each test unloads it again when done.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _plugin_builds import build_test_plugins

import dotcompute as dc
from dotcompute.errors import BackendUnavailableError

BACKEND = "testbackend"


@pytest.fixture(scope="session")
def plugin_files(tmp_path_factory) -> dict[str, Path]:
    if shutil.which("cmake") is None:
        pytest.fail(
            "cmake is not installed (it is part of the test extra: pip install -e '.[test]')"
        )
    return build_test_plugins(tmp_path_factory.mktemp("test-plugins"))


@pytest.fixture(autouse=True)
def unload_testbackend_afterwards():
    yield
    gc.collect()
    if any(p.name == BACKEND and not p.retiring for p in dc.plugins.list()):
        dc.plugins.unload(BACKEND)


def private_copy(source: Path, directory: Path, name: str | None = None) -> Path:
    """A copy of a plugin in a directory of our own (mode 0755), which the trust rules accept."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    target = directory / (name or source.name)
    shutil.copyfile(source, target)
    return target


def loaded(name: str = BACKEND) -> list[dc.plugins.PluginInfo]:
    return [p for p in dc.plugins.list() if p.name == name]


def rejection_for(path: Path) -> dc.plugins.Rejection:
    matches = [r for r in dc.plugins.rejected() if r.path == str(path)]
    assert matches, f"{path} is not in dc.plugins.rejected(): {dc.plugins.rejected()}"
    return matches[-1]


def assert_process_keeps_working() -> None:
    values = np.arange(16, dtype=np.float32)
    array = dc.asarray(values, device="cpu")
    np.testing.assert_array_equal(array.numpy(), values)
    fresh = dc.empty((4, 4), dtype="float32", device="cpu")
    assert fresh.shape == (4, 4)


def run_python(code: str, **environment: str) -> dict:
    """Runs code in a fresh interpreter (discovery runs once per process) and parses the JSON
    it prints last."""
    env = {k: v for k, v in os.environ.items() if k != "DOTCOMPUTE_NO_AUTOLOAD"}
    env.update(environment)
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


LISTING_SCRIPT = textwrap.dedent(
    """
    import json
    import dotcompute as dc
    print(json.dumps({
        "plugins": [vars(p) for p in dc.plugins.list()],
        "rejected": [vars(r) for r in dc.plugins.rejected()],
    }))
    """
)


# -- the built-in plugin -------------------------------------------------------------------------


def test_builtin_cpu_plugin_is_loaded_and_listed():
    (cpu,) = loaded("cpu")
    assert cpu.origin == "builtin"
    assert Path(cpu.path).parent == Path(dc._core.builtin_plugin_directory())
    assert cpu.abi.startswith(f"{dc._core.ABI_MAJOR}.")
    assert cpu.devices >= 1
    assert not cpu.retiring
    assert cpu.sha256 == hashlib.sha256(Path(cpu.path).read_bytes()).hexdigest()


def test_good_plugin_loads_and_runs(plugin_files):
    info = dc.plugins.load(plugin_files["good_v1"])
    assert (info.name, info.version, info.devices, info.origin) == (BACKEND, "1", 1, "load()")
    assert info.sha256 == hashlib.sha256(plugin_files["good_v1"].read_bytes()).hexdigest()
    assert loaded() == [info]
    assert dc.get_device(BACKEND).name == "test device v1"
    values = np.arange(8, dtype=np.float32)
    np.testing.assert_array_equal(dc.asarray(values, device=BACKEND).numpy(), values)


def test_second_plugin_with_the_same_name_is_refused(plugin_files, tmp_path):
    dc.plugins.load(plugin_files["good_v1"])
    other = private_copy(plugin_files["good_v2"], tmp_path / "other")
    with pytest.raises(dc.PluginError, match=r"already provided by .*good_v1\.so.*reload"):
        dc.plugins.load(other)
    assert rejection_for(other).name == BACKEND
    assert [p.version for p in loaded()] == ["1"]


# -- rejections ----------------------------------------------------------------------------------

BAD_PLUGINS = {
    "wrong_abi_major": r"ABI major 99, but this core speaks ABI major 1",
    "no_entry_symbol": r"has no dc_plugin_entry symbol",
    "probe_fails": r"probe says it cannot run here .*test probe: no such device",
}


@pytest.mark.parametrize("case", sorted(BAD_PLUGINS))
@pytest.mark.parametrize("isolated", [False, True], ids=["in-process", "isolated"])
def test_bad_plugin_is_rejected_with_its_cause(plugin_files, case, isolated):
    path = plugin_files[case]
    with pytest.raises(dc.PluginError, match=BAD_PLUGINS[case]) as raised:
        dc.plugins.load(path, isolated=isolated)
    assert str(path) in str(raised.value)
    assert rejection_for(path).reason in str(raised.value)
    assert not loaded()
    assert_process_keeps_working()


def test_file_that_is_not_a_shared_library_is_rejected(tmp_path):
    (tmp_path / "plugins").mkdir(mode=0o755)
    path = tmp_path / "plugins" / "notes.so"
    path.write_text("this is a text file, not a shared library\n")
    with pytest.raises(dc.PluginError, match="not a shared library"):
        dc.plugins.load(path)
    assert "not a shared library" in rejection_for(path).reason
    assert_process_keeps_working()


def test_missing_file_is_rejected(tmp_path):
    path = tmp_path / "nowhere.so"
    with pytest.raises(dc.PluginError, match="No such file"):
        dc.plugins.load(path)


@pytest.mark.parametrize(
    ("case", "signal_name"), [("crash_in_init", "SIGSEGV"), ("abort_in_init", "SIGABRT")]
)
def test_isolated_load_survives_a_plugin_that_dies_at_start_up(plugin_files, case, signal_name):
    path = plugin_files[case]
    with pytest.raises(dc.PluginError, match=f"crashed with {signal_name} during start-up"):
        dc.plugins.load(path, isolated=True)
    rejection = rejection_for(path)
    assert signal_name in rejection.reason
    assert rejection.origin == "load(isolated=True)"
    assert not loaded()
    assert_process_keeps_working()


def test_isolated_load_of_a_good_plugin_loads_it_here(plugin_files):
    info = dc.plugins.load(plugin_files["good_v1"], isolated=True)
    assert (info.name, info.version, info.origin) == (BACKEND, "1", "load(isolated=True)")
    assert dc.get_device(BACKEND).name == "test device v1"


def test_rejected_backend_is_unavailable_with_the_reason(tmp_path, plugin_files):
    path = private_copy(plugin_files["probe_fails"], tmp_path / "plugins")
    with pytest.raises(dc.PluginError):
        dc.plugins.load(path)
    with pytest.raises(BackendUnavailableError, match="test probe: no such device"):
        dc.empty((2,), dtype="float32", device=BACKEND)


# -- trust ---------------------------------------------------------------------------------------


def test_plugin_in_a_directory_writable_by_others_is_refused(plugin_files, tmp_path):
    directory = tmp_path / "shared"
    path = private_copy(plugin_files["good_v1"], directory)
    directory.chmod(directory.stat().st_mode | stat.S_IWOTH)
    with pytest.raises(dc.PluginError, match="writable by other users"):
        dc.plugins.load(path)
    assert "writable by other users" in rejection_for(path).reason
    assert not loaded()


def test_plugin_file_writable_by_others_is_refused(plugin_files, tmp_path):
    path = private_copy(plugin_files["good_v1"], tmp_path / "plugins")
    path.chmod(0o757)
    with pytest.raises(dc.PluginError, match=r"plugin file .* is writable by other users"):
        dc.plugins.load(path)


def test_allowlist_refuses_unlisted_digest_and_accepts_listed_one(
    plugin_files, tmp_path, monkeypatch
):
    path = private_copy(plugin_files["good_v1"], tmp_path / "plugins")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    other_digest = hashlib.sha256(b"some other plugin").hexdigest()
    allowlist = tmp_path / "allowlist.sha256"

    allowlist.write_text(f"# trusted plugins\n{other_digest}  other.so\n")
    monkeypatch.setenv("DOTCOMPUTE_PLUGIN_ALLOWLIST", str(allowlist))
    with pytest.raises(dc.PluginError, match=f"SHA-256 {digest} .* not in the plugin allow-list"):
        dc.plugins.load(path)
    assert digest in rejection_for(path).reason

    allowlist.write_text(
        f"# trusted plugins\n{other_digest}  other.so\n{digest.upper()} *{path.name}\n"
    )
    info = dc.plugins.load(path)
    assert info.sha256 == digest
    assert_process_keeps_working()


# -- discovery -----------------------------------------------------------------------------------


def test_plugin_path_discovery(plugin_files, tmp_path):
    directory = tmp_path / "plugin-dir"
    private_copy(plugin_files["good_v1"], directory)
    wrong = private_copy(plugin_files["wrong_abi_major"], directory)
    missing = tmp_path / "missing.so"
    search_path = os.pathsep.join([str(directory), str(missing)])

    listing = run_python(LISTING_SCRIPT, DOTCOMPUTE_PLUGIN_PATH=search_path)

    (testbackend,) = [p for p in listing["plugins"] if p["name"] == BACKEND]
    assert testbackend["origin"] == "DOTCOMPUTE_PLUGIN_PATH"
    assert testbackend["path"] == str(directory / "good_v1.so")
    assert any(p["name"] == "cpu" for p in listing["plugins"])
    reasons = {r["path"]: r["reason"] for r in listing["rejected"]}
    assert "ABI major 99" in reasons[str(wrong)]
    assert "does not exist" in reasons[str(missing)]


def test_entry_point_discovery(plugin_files, tmp_path):
    site = tmp_path / "site"
    plugin = private_copy(plugin_files["good_v1"], tmp_path / "plugin-lib")
    site.mkdir()
    (site / "fake_dotcompute_plugin.py").write_text(
        f"from pathlib import Path\n\ndef plugin_path():\n    return Path({str(plugin)!r})\n"
    )
    dist_info = site / "fake_dotcompute_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-dotcompute-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[dotcompute.backends]\n"
        "testbackend = fake_dotcompute_plugin:plugin_path\n"
        "brokenbackend = fake_dotcompute_plugin:no_such_attribute\n"
    )
    python_path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))

    listing = run_python(
        LISTING_SCRIPT
        + textwrap.dedent(
            """
            try:
                dc.get_device("brokenbackend")
            except dc.BackendUnavailableError as error:
                print(json.dumps({"unavailable": str(error),
                                  "testbackend": dc.get_device("testbackend").name}))
            """
        ),
        PYTHONPATH=python_path,
    )
    assert "no_such_attribute" in listing["unavailable"]
    assert listing["testbackend"] == "test device v1"  # via a callable returning a Path


def test_entry_point_plugins_are_listed(plugin_files, tmp_path):
    site = tmp_path / "site"
    plugin = private_copy(plugin_files["good_v1"], tmp_path / "plugin-lib")
    site.mkdir()
    (site / "fake_dotcompute_plugin.py").write_text(f"PLUGIN = {str(plugin)!r}\n")
    dist_info = site / "fake_dotcompute_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-dotcompute-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[dotcompute.backends]\n"
        "testbackend = fake_dotcompute_plugin:PLUGIN\n"
        "brokenbackend = fake_dotcompute_plugin:no_such_attribute\n"
    )
    python_path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))

    listing = run_python(LISTING_SCRIPT, PYTHONPATH=python_path)

    (testbackend,) = [p for p in listing["plugins"] if p["name"] == BACKEND]
    assert testbackend["origin"] == "entry point testbackend"
    assert testbackend["path"] == str(plugin)
    (broken,) = [r for r in listing["rejected"] if r["name"] == "brokenbackend"]
    assert broken["origin"] == "entry point brokenbackend"
    assert "no_such_attribute" in broken["reason"]


# -- unload --------------------------------------------------------------------------------------


def test_unload_is_refused_while_an_array_is_alive(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    array = dc.empty((16,), dtype="float32", device=BACKEND)
    with pytest.raises(dc.PluginError, match=f"cannot unload '{BACKEND}': 1 buffer is still alive"):
        dc.plugins.unload(BACKEND)
    assert [p.live_objects for p in loaded()] == [1]
    assert array.shape == (16,)  # refused means nothing happened

    del array
    gc.collect()
    dc.plugins.unload(BACKEND)
    assert not loaded()
    assert_process_keeps_working()


def test_deferred_unload_closes_with_the_last_object(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    values = np.arange(8, dtype=np.float32)
    array = dc.asarray(values, device=BACKEND)
    dc.plugins.unload(BACKEND, defer=True)
    with pytest.raises(dc.DeviceError, match=f"'{BACKEND}' was unloaded"):
        dc.empty((2,), dtype="float32", device=BACKEND)  # no new work
    np.testing.assert_array_equal(array.numpy(), values)  # existing objects keep working
    assert [(p.retiring, p.live_objects) for p in loaded()] == [(True, 1)]
    del array
    gc.collect()
    assert not loaded()
    assert_process_keeps_working()


def test_use_after_unload_is_a_clear_error(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    device = dc.get_device(BACKEND)
    dc.plugins.unload(BACKEND)
    with pytest.raises(dc.DeviceError, match=f"'{BACKEND}' was unloaded"):
        dc.empty((2,), dtype="float32", device=BACKEND)
    with pytest.raises(dc.DeviceError, match=f"'{BACKEND}' was unloaded"):
        _ = device.name
    # Loading it again makes it usable again.
    dc.plugins.load(plugin_files["good_v1"])
    assert dc.get_device(BACKEND).name == "test device v1"


def test_unload_of_an_unknown_backend_is_refused():
    with pytest.raises(dc.PluginError, match="no backend of that name is loaded"):
        dc.plugins.unload("no-such-backend")


# -- hot reload ----------------------------------------------------------------------------------


def test_hot_reload_routes_new_work_and_retires_the_old_version(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    old_values = np.arange(4, dtype=np.float32)
    old_array = dc.asarray(old_values, device=BACKEND)

    info = dc.plugins.reload(BACKEND, plugin_files["good_v2"])
    assert (info.name, info.version, info.retiring) == (BACKEND, "2", False)

    new_array = dc.empty((4,), dtype="float32", device=BACKEND)
    assert dc.get_device(BACKEND).name == "test device v2"
    versions = {p.version: p for p in loaded()}
    assert versions["1"].retiring and versions["1"].live_objects == 1
    assert not versions["2"].retiring and versions["2"].live_objects == 1
    # The old array still works through the old plugin.
    np.testing.assert_array_equal(old_array.numpy(), old_values)

    del old_array
    gc.collect()
    assert [p.version for p in loaded()] == ["2"]  # the old version closed with its last object
    del new_array
    gc.collect()
    assert [(p.version, p.live_objects) for p in loaded()] == [("2", 0)]


def test_reload_of_the_same_file_maps_a_fresh_image(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    keep = dc.empty((4,), dtype="float32", device=BACKEND)
    dc.plugins.reload(BACKEND)
    listed = loaded()
    assert [(p.version, p.retiring) for p in listed] == [("1", True), ("1", False)]
    assert listed[0].path == listed[1].path == str(plugin_files["good_v1"])
    del keep
    gc.collect()
    assert [p.retiring for p in loaded()] == [False]


def test_failed_reload_keeps_the_loaded_version(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    with pytest.raises(dc.PluginError, match=r"ABI major 99.*loaded version stays in use"):
        dc.plugins.reload(BACKEND, plugin_files["wrong_abi_major"])
    assert [(p.version, p.retiring) for p in loaded()] == [("1", False)]
    assert dc.get_device(BACKEND).name == "test device v1"


# -- health --------------------------------------------------------------------------------------


def test_health_is_ok_for_every_device(plugin_files):
    dc.plugins.load(plugin_files["good_v1"])
    reports = dc.plugins.health()
    expected = {(p.name, d) for p in dc.plugins.list() if not p.retiring for d in range(p.devices)}
    assert {(r.backend, r.device) for r in reports} == expected
    assert (BACKEND, 0) in expected
    for report in reports:
        assert report.ok, report
        assert report.message == "ok"
        assert report.seconds >= 0
