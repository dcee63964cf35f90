"""Local backends: the pool launches one ComfyUI per backend, each on its GPU index and port,
and follows its health (the fake install speaks the real launch protocol)."""

from __future__ import annotations

from tests.core.launcher_helpers import free_port, process_gone
from tests.fakes.fake_comfyui_install import make_install
from wan22_gui.core.backends.pool import BackendPool
from wan22_gui.core.backends.spec import BackendSpec
from wan22_gui.core.backends.store import BackendStore
from wan22_gui.core.base.settings import Settings
from wan22_gui.core.presets import load_presets
from wan22_gui.core.server.install import find_install


def test_two_local_backends_start_on_their_own_gpu_and_port_and_stop_with_the_pool(tmp_path):
    install = find_install(make_install(tmp_path / "ComfyUI"))
    store = BackendStore(Settings(None))
    ports = [free_port(), free_port()]
    for device, port in enumerate(ports):
        store.add(BackendSpec(f"gpu{device}", "local", cuda_device=device, port=port))
    pool = BackendPool(store)
    pids = []
    try:
        for device, spec in enumerate(store.list()):
            plan = pool.launch(spec.name, install, load_presets().get("rtx-4090"))
            controller = pool.controller(spec.name)
            assert controller.wait_ready(20), controller.process.lines()
            argv = controller.stats["system"]["argv"]
            assert argv[argv.index("--cuda-device") + 1] == str(device)
            assert plan.port == spec.port
            pids.append(controller.process.pid)
        pool.probe_all()
        assert [(s.name, s.state) for s in pool.states()] == [("gpu0", "connected"),
                                                              ("gpu1", "connected")]
        pool.controller("gpu1").stop()
        pool.probe_all()
        assert pool.state("gpu1").state == "lost" and pool.state("gpu0").usable
    finally:
        pool.close()
    assert all(process_gone(pid) for pid in pids)
