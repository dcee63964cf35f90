"""Model-free frame interpolation with OpenCV optical flow (the built-in engine's maths).

For each pair of frames: DIS optical flow both ways at half resolution, the Super-SloMo linear
approximation of the flows from time t back to each neighbour, a backward warp of both
neighbours to t, and a blend weighted by how well the forward and backward flows agree
(occluded pixels, where they disagree, lean on the other neighbour).

Everything that concerns flow (flows, consistency, blend weights) is computed at the flow's
half resolution; only the two warps and the blend touch full-size pixels, which keeps the cost
near 50 ms per 832×1216 frame on one core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FLOW_SCALE = 0.5


class FlowInterpolator:
    """Makes in-between frames for consecutive pairs; reuses the shared neighbour's grey image.

    Not thread-safe (one per worker).
    """

    def __init__(self, flow_scale: float = FLOW_SCALE) -> None:
        import cv2

        cv2.setNumThreads(1)  # one worker process per core does better than threads here
        self.flow_scale = flow_scale
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self._grey_cache: tuple["np.ndarray", "np.ndarray"] | None = None
        self._grids: dict[tuple[int, int], tuple["np.ndarray", "np.ndarray"]] = {}

    def between(self, frame0: "np.ndarray", frame1: "np.ndarray", times: list[float]) -> list["np.ndarray"]:
        """Frames at each t in `times` (0 < t < 1) between `frame0` and `frame1` (BGR uint8)."""
        import cv2

        g0, g1 = self._grey(frame0), self._grey(frame1)
        f01 = self._dis.calc(g0, g1, None)
        f10 = self._dis.calc(g1, g0, None)
        small_x, small_y = self._grid(g0.shape[1], g0.shape[0])
        # in full-resolution pixels², so the weights do not depend on the flow scale
        to_full = 1.0 / (self.flow_scale * self.flow_scale)
        err0 = _consistency(f01, f10, small_x, small_y) * to_full
        err1 = _consistency(f10, f01, small_x, small_y) * to_full
        full_x, full_y = self._grid(frame0.shape[1], frame0.shape[0])
        out = []
        for t in times:
            ft0 = -(1 - t) * t * f01 + t * t * f10
            ft1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
            c0 = _remap(err0, ft0, small_x, small_y)
            c1 = _remap(err1, ft1, small_x, small_y)
            w0 = (1 - t) / (1 + c0)
            w1 = t / (1 + c1)
            alpha = w0 / (w0 + w1)
            size = (frame0.shape[1], frame0.shape[0])
            warp0 = _warp(frame0, _upscale_flow(ft0, size), full_x, full_y)
            warp1 = _warp(frame1, _upscale_flow(ft1, size), full_x, full_y)
            alpha_full = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
            out.append(cv2.blendLinear(warp0, warp1, alpha_full, 1.0 - alpha_full))
        return out

    def _grey(self, frame: "np.ndarray") -> "np.ndarray":
        import cv2

        if self._grey_cache is not None and self._grey_cache[0] is frame:
            return self._grey_cache[1]
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        size = (max(8, round(frame.shape[1] * self.flow_scale)), max(8, round(frame.shape[0] * self.flow_scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        self._grey_cache = (frame, grey)  # holds the frame, so `is` cannot match a new one
        return grey

    def _grid(self, width: int, height: int) -> tuple["np.ndarray", "np.ndarray"]:
        import numpy as np

        if (width, height) not in self._grids:
            xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
            self._grids[(width, height)] = (xs, ys)
        return self._grids[(width, height)]


class FlowWarper:
    """Warps one frame onto the next along the same DIS flow the engine uses: what the
    temporal-consistency figures (`metrics.py`) compare. Not thread-safe."""

    def __init__(self, flow_scale: float = FLOW_SCALE) -> None:
        self._engine = FlowInterpolator(flow_scale)

    def warp_onto(self, previous: "np.ndarray", current: "np.ndarray") -> "np.ndarray":
        """`previous` moved to where its pixels are in `current` (same size, BGR or grey)."""
        engine = self._engine
        g_cur, g_prev = engine._grey(current), engine._grey(previous)
        # backward flow: for each pixel of `current`, where it was in `previous`
        flow = engine._dis.calc(g_cur, g_prev, None)
        size = (current.shape[1], current.shape[0])
        full_x, full_y = engine._grid(*size)
        return _warp(previous, _upscale_flow(flow, size), full_x, full_y)


def _remap(image: "np.ndarray", flow: "np.ndarray", xs: "np.ndarray", ys: "np.ndarray") -> "np.ndarray":
    import cv2

    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def _consistency(forward: "np.ndarray", backward: "np.ndarray", xs, ys) -> "np.ndarray":
    """Squared forward/backward disagreement: near 0 where the flow is trusted."""
    error = forward + _remap(backward, forward, xs, ys)
    return (error * error).sum(axis=2)


def _upscale_flow(flow: "np.ndarray", size: tuple[int, int]) -> "np.ndarray":
    import cv2

    scale_x = size[0] / flow.shape[1]
    scale_y = size[1] / flow.shape[0]
    big = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    big[..., 0] *= scale_x
    big[..., 1] *= scale_y
    return big


def _warp(frame: "np.ndarray", flow: "np.ndarray", xs, ys) -> "np.ndarray":
    return _remap(frame, flow, xs, ys)
